"""The page's own words and the tutor's fixed sentences, in English and Spanish, by message key.

One catalogue serves both routes: Gradio's `gr.I18n` translates the static labels in the browser from it,
and `ui.i18n.t` renders the server-side HTML (bubbles, panels, notices) from it. `{name}` fields are
filled by `t`; a key missing in a language falls back to English.
"""

from __future__ import annotations

EN: dict[str, str] = {
    # --- the page's static words (gr.I18n) ---
    "page.title": "## Lesson Tutor\nAnswers come from the lessons only, with the passages they rest on.",
    "tab.chat": "Chat",
    "chat.label": "Conversation",
    "box.placeholder": "Ask about the lessons… (Enter sends; a question sent during an answer waits its turn)",
    "btn.ask": "Ask",
    "btn.stop": "Stop",
    "btn.new": "New conversation",
    "btn.search_all": "Search all lessons",
    "filter.program": "Program",
    "filter.lesson": "Lesson",
    "filter.language": "Language",
    "filter.keep": "Keep the filters for the new conversation",
    "examples.label": "Try one of these (from the lessons in scope)",
    "sources.similarity": "Show how close each passage is (similarity)",
    "lessons.label": "The course's lessons",
    # --- server-rendered words (ui.i18n.t) ---
    "all.programs": "All programs",
    "all.lessons": "All lessons",
    "all.languages": "Any language",
    "intro": "Ask a question: the passages the answer rests on show up here, with the sentences that support "
    "it highlighted.",
    "scope.all": "Answering from all lessons",
    "scope.some": "Answering from: {scope}",
    "empty": "Type a question first: the box is empty.",
    "keys.label": "From the lessons",
    "model.label": "The tutor's explanation",
    "draft.label": "Being written, not yet checked against the lessons",
    "flag": "not in the lessons",
    "flag.title": "No lesson passage backs this sentence",
    "mostly": "Most of this explanation is not backed by the lessons: the lessons' sentences above are the answer.",
    "show.explanation": "Show the explanation",
    "waiting": "The tutor is writing another learner's answer first. Yours is number {place} in line and starts "
    "by itself.",
    "waiting.short": "Waiting for the tutor: number {place} in line",
    "queued": "Waiting: this question is answered as soon as the one before it is done.",
    "stopped": "Stopped. The explanation was cut here and not checked against the lessons.",
    "refusal": "The lessons don't cover this question, so I won't guess.",
    "refusal.scoped": "The lessons in scope ({scope}) don't cover this question, so I won't guess.",
    "refusal.offer": "Search all lessons for this question",
    "suggest": "The nearest lessons are:",
    "no_lessons": "The index holds no lessons yet: ask the teacher to index the lessons.",
    "cut": "Your question was long, so only its beginning was used.",
    "panel.not_backed": "Not backed by the lessons:",
    "panel.sources": "Sources",
    "panel.uncited": "Retrieved but not cited",
    "panel.no_cite": "The answer cites no passage; it was given these.",
    "panel.not_covered": "Not covered by the lessons.",
    "panel.closest": "Lessons that come closest",
    "panel.weak": "Closest passages, too far from the question to answer from",
    "panel.answering": "Answering from {n} passages: {titles}",
    "panel.no_passage": "No passage is close enough to answer from.",
    "panel.open_course": "Open in the course",
    "panel.similarity": "similarity {value}",
    "panel.phone_sources": "Sources and marks of this answer ({n})",
    "lesson.order": "{title}",
}

ES: dict[str, str] = {
    "page.title": "## Tutor de lecciones\nLas respuestas salen solo de las lecciones, con los pasajes en que se "
    "apoyan.",
    "tab.chat": "Conversación",
    "chat.label": "Conversación",
    "box.placeholder": "Pregunta sobre las lecciones… (Intro envía; una pregunta enviada durante una respuesta "
    "espera su turno)",
    "btn.ask": "Preguntar",
    "btn.stop": "Detener",
    "btn.new": "Nueva conversación",
    "btn.search_all": "Buscar en todas las lecciones",
    "filter.program": "Programa",
    "filter.lesson": "Lección",
    "filter.language": "Idioma",
    "filter.keep": "Mantener los filtros en la nueva conversación",
    "examples.label": "Prueba una de estas (de las lecciones elegidas)",
    "sources.similarity": "Mostrar lo cerca que está cada pasaje (similitud)",
    "lessons.label": "Las lecciones del curso",
    "all.programs": "Todos los programas",
    "all.lessons": "Todas las lecciones",
    "all.languages": "Cualquier idioma",
    "intro": "Haz una pregunta: aquí aparecen los pasajes en que se apoya la respuesta, con las frases que la "
    "respaldan resaltadas.",
    "scope.all": "Respondiendo con todas las lecciones",
    "scope.some": "Respondiendo con: {scope}",
    "empty": "Escribe primero una pregunta: el cuadro está vacío.",
    "keys.label": "De las lecciones",
    "model.label": "La explicación del tutor",
    "draft.label": "Escribiéndose, aún sin comprobar con las lecciones",
    "flag": "no está en las lecciones",
    "flag.title": "Ningún pasaje de las lecciones respalda esta frase",
    "mostly": "La mayor parte de esta explicación no está respaldada por las lecciones: la respuesta son las "
    "frases de las lecciones de arriba.",
    "show.explanation": "Mostrar la explicación",
    "waiting": "El tutor está escribiendo antes la respuesta de otra persona. La tuya es la número {place} de la "
    "cola y empezará sola.",
    "waiting.short": "Esperando al tutor: número {place} de la cola",
    "queued": "En espera: esta pregunta se responde en cuanto termine la anterior.",
    "stopped": "Detenida. La explicación se cortó aquí y no se comprobó con las lecciones.",
    "refusal": "Las lecciones no tratan esta pregunta, así que no voy a adivinar.",
    "refusal.scoped": "Las lecciones elegidas ({scope}) no tratan esta pregunta, así que no voy a adivinar.",
    "refusal.offer": "Buscar esta pregunta en todas las lecciones",
    "suggest": "Las lecciones más cercanas son:",
    "no_lessons": "El índice aún no tiene lecciones: pide al profesor que las indexe.",
    "cut": "Tu pregunta era larga, así que solo se usó su comienzo.",
    "panel.not_backed": "No respaldado por las lecciones:",
    "panel.sources": "Fuentes",
    "panel.uncited": "Recuperados pero no citados",
    "panel.no_cite": "La respuesta no cita ningún pasaje; recibió estos.",
    "panel.not_covered": "Las lecciones no lo tratan.",
    "panel.closest": "Las lecciones más cercanas",
    "panel.weak": "Pasajes más cercanos, demasiado lejos de la pregunta para responder con ellos",
    "panel.answering": "Respondiendo con {n} pasajes: {titles}",
    "panel.no_passage": "Ningún pasaje está lo bastante cerca para responder.",
    "panel.open_course": "Abrir en el curso",
    "panel.similarity": "similitud {value}",
    "panel.phone_sources": "Fuentes y marcas de esta respuesta ({n})",
}

CATALOGUE: dict[str, dict[str, str]] = {"en": EN, "es": ES}
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
