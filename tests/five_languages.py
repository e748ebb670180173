"""A small course in five languages, written for the language tests: two short lessons, "Stacks and queues"
and "Precision and recall", each in English, French, Dutch, Hindi and Telugu, laid out as a course
(`programs/data-basics/lessons/<lang>/<slug>.mdx`, so each lesson's language comes from its folder).

With `english_only`, a third lesson joins them in English alone ("Hash tables"): a question in another
language can only be answered from English.

`write_course` writes the files under a folder; `indexed` writes them to a scratch folder and indexes them with
the real embedder: the page tests (tests/test_page_languages.py, tests/test_page_answer_languages.py) serve it,
and tests/test_multilingual.py asks it questions. Original text; nothing here reads ../shared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import lesson

PROGRAM = "data-basics"
LANGUAGES = ("en", "fr", "nl", "hi", "te")
NAMES = {"en": "English", "fr": "Français", "nl": "Nederlands", "hi": "हिन्दी", "te": "తెలుగు"}  # own names

# slug -> language -> (title, body); both sections of each lesson say the same in every language
LESSONS: dict[str, dict[str, tuple[str, str]]] = {
    "stacks-and-queues": {
        "en": (
            "Stacks and queues",
            """
            ## Last in, first out

            A stack keeps items in the order they arrive and hands back the newest first. Pushing puts an item
            on top; popping takes the top item away. The undo history of a text editor works like a stack.

            ## First in, first out

            A queue hands back the oldest item first, like people waiting at a ticket counter. Items join at the
            back and leave from the front. A printer uses a queue so that pages come out in the order they were sent.
            """,
        ),
        "fr": (
            "Piles et files",
            """
            ## Dernier entré, premier sorti

            Une pile garde les éléments dans l’ordre où ils arrivent et rend d’abord le plus récent. Empiler pose
            un élément au sommet ; dépiler retire l’élément du sommet. L’historique d’annulation d’un éditeur de
            texte fonctionne comme une pile.

            ## Premier entré, premier sorti

            Une file rend d’abord l’élément le plus ancien, comme des personnes qui attendent à un guichet. Les
            éléments entrent à l’arrière et sortent à l’avant. Une imprimante utilise une file pour que les pages
            sortent dans l’ordre où elles ont été envoyées.
            """,
        ),
        "nl": (
            "Stapels en wachtrijen",
            """
            ## Laatst erin, eerst eruit

            Een stapel bewaart elementen in de volgorde waarin ze binnenkomen en geeft het nieuwste als eerste
            terug. Met push leg je een element bovenop; met pop haal je het bovenste weg. De geschiedenis van
            ongedaan maken in een teksteditor werkt als een stapel.

            ## Eerst erin, eerst eruit

            Een wachtrij geeft het oudste element als eerste terug, zoals mensen die bij een loket wachten.
            Elementen sluiten achteraan aan en vertrekken vooraan. Een printer gebruikt een wachtrij, zodat
            pagina's eruit komen in de volgorde waarin ze zijn verstuurd.
            """,
        ),
        "hi": (
            "स्टैक और क्यू",
            """
            ## अंत में आया, पहले गया

            स्टैक चीज़ों को उसी क्रम में रखता है जिसमें वे आती हैं और सबसे नई चीज़ पहले लौटाता है। पुश किसी
            चीज़ को ऊपर रखता है; पॉप सबसे ऊपर की चीज़ हटा देता है। टेक्स्ट एडिटर का अनडू इतिहास स्टैक की तरह
            काम करता है।

            ## पहले आया, पहले गया

            क्यू सबसे पुरानी चीज़ पहले लौटाती है, जैसे टिकट खिड़की पर खड़े लोग। चीज़ें पीछे से जुड़ती हैं और
            आगे से निकलती हैं। प्रिंटर क्यू का उपयोग करता है ताकि पन्ने उसी क्रम में छपें जिसमें वे भेजे गए थे।
            """,
        ),
        "te": (
            "స్టాక్‌లు మరియు క్యూలు",
            """
            ## చివర వచ్చినది ముందు వెళ్తుంది

            స్టాక్ అంశాలను అవి వచ్చిన క్రమంలో ఉంచుతుంది, కొత్తదాన్ని ముందుగా తిరిగి ఇస్తుంది. పుష్ ఒక
            అంశాన్ని పైన ఉంచుతుంది; పాప్ పై అంశాన్ని తీసివేస్తుంది. టెక్స్ట్ ఎడిటర్‌లోని అన్‌డూ చరిత్ర స్టాక్
            లాగా పనిచేస్తుంది.

            ## ముందు వచ్చినది ముందు వెళ్తుంది

            క్యూ పాత అంశాన్ని ముందుగా తిరిగి ఇస్తుంది, టికెట్ కౌంటర్ దగ్గర వేచి ఉన్న వ్యక్తుల లాగా. అంశాలు
            వెనుక చేరి ముందు నుంచి వెళ్తాయి. పేజీలు పంపిన క్రమంలోనే రావడానికి ప్రింటర్ క్యూను ఉపయోగిస్తుంది.
            """,
        ),
    },
    "precision-and-recall": {
        "en": (
            "Precision and recall",
            """
            ## Precision

            Precision is the share of the items a classifier marked as positive that really are positive. A
            spam filter with high precision rarely sends a good email to the spam folder.

            ## Recall

            Recall is the share of all truly positive items that the classifier found. A filter with high recall
            lets little spam through, even if it sometimes catches a good email too.
            """,
        ),
        "fr": (
            "Précision et rappel",
            """
            ## La précision

            La précision est la part des éléments qu’un classifieur a marqués comme positifs qui le sont vraiment.
            Un filtre anti-spam très précis envoie rarement un bon courriel dans les indésirables.

            ## Le rappel

            Le rappel est la part de tous les éléments vraiment positifs que le classifieur a trouvés. Un filtre
            au rappel élevé laisse passer peu de spam, même s’il attrape parfois aussi un bon courriel.
            """,
        ),
        "nl": (
            "Precisie en recall",
            """
            ## Precisie

            Precisie is het deel van de elementen die een classificator positief noemde dat echt positief is.
            Een spamfilter met een hoge precisie stuurt zelden een goede e-mail naar de spammap.

            ## Recall

            Recall is het deel van alle echt positieve elementen dat de classificator heeft gevonden. Een filter
            met een hoge recall laat weinig spam door, ook al vangt het soms een goede e-mail.
            """,
        ),
        "hi": (
            "प्रिसिजन और रिकॉल",
            """
            ## प्रिसिजन

            प्रिसिजन उन चीज़ों का वह हिस्सा है जिन्हें क्लासिफ़ायर ने पॉज़िटिव बताया और जो सच में पॉज़िटिव
            हैं। ऊँचे प्रिसिजन वाला स्पैम फ़िल्टर शायद ही कभी किसी अच्छे ईमेल को स्पैम फ़ोल्डर में भेजता है।

            ## रिकॉल

            रिकॉल सभी सच में पॉज़िटिव चीज़ों का वह हिस्सा है जिसे क्लासिफ़ायर ने ढूँढ लिया। ऊँचे रिकॉल वाला
            फ़िल्टर बहुत कम स्पैम आने देता है, भले ही वह कभी-कभी किसी अच्छे ईमेल को भी पकड़ ले।
            """,
        ),
        "te": (
            "ప్రెసిషన్ మరియు రీకాల్",
            """
            ## ప్రెసిషన్

            క్లాసిఫైయర్ పాజిటివ్ అని గుర్తించిన అంశాలలో నిజంగా పాజిటివ్ అయినవాటి వాటా ప్రెసిషన్. అధిక
            ప్రెసిషన్ ఉన్న స్పామ్ ఫిల్టర్ మంచి ఈమెయిల్‌ను అరుదుగా స్పామ్ ఫోల్డర్‌కు పంపుతుంది.

            ## రీకాల్

            నిజంగా పాజిటివ్ అయిన అన్ని అంశాలలో క్లాసిఫైయర్ కనుగొన్నవాటి వాటా రీకాల్. అధిక రీకాల్ ఉన్న
            ఫిల్టర్ తక్కువ స్పామ్‌ను లోపలికి రానిస్తుంది, అప్పుడప్పుడు మంచి ఈమెయిల్‌ను కూడా పట్టుకున్నా.
            """,
        ),
    },
}


# a lesson the course has in English only, written with `english_only`: slug -> (title, body)
ENGLISH_ONLY: dict[str, tuple[str, str]] = {
    "hash-tables": (
        "Hash tables",
        """
        ## Finding a value by its key

        A hash table stores each value in a bucket chosen by a hash function of its key, so looking a key up
        takes about the same time however many values the table holds.
        """,
    ),
}


def lesson_id(slug: str, language: str) -> str:
    return f"{PROGRAM}/{language}/{slug}"


def title_of(slug: str, language: str) -> str:
    """A lesson's title in a language (the English-only lesson's in English)."""
    return LESSONS[slug][language][0] if slug in LESSONS else ENGLISH_ONLY[slug][0]


def sections(slug: str, language: str) -> list[str]:
    """The section headings of a lesson in a language, in order."""
    body = LESSONS[slug][language][1]
    return [line.strip()[3:] for line in body.splitlines() if line.strip().startswith("## ")]


def write_course(root: Path, english_only: bool = False) -> Path:
    """The ten lessons (and the program's program.json) under `root`, in course order, and with `english_only`
    the lesson only in English; returns `root`."""
    program = root / "programs" / PROGRAM
    for order, (slug, versions) in enumerate(LESSONS.items(), start=1):
        for language, (title, body) in versions.items():
            folder = program / "lessons" / language
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{slug}.mdx").write_text(lesson(title, body, order=order), encoding="utf-8")
    meta = {"slug": PROGRAM, "title": "Data basics", "lessons": list(LESSONS)}
    (program / "program.json").write_text(json.dumps(meta), encoding="utf-8")
    if english_only:  # after the course's lessons, in English alone
        for order, (slug, (title, body)) in enumerate(ENGLISH_ONLY.items(), start=len(LESSONS) + 1):
            (program / "lessons" / "en" / f"{slug}.mdx").write_text(lesson(title, body, order=order), encoding="utf-8")
    return root


def indexed(
    tmp_path_factory: pytest.TempPathFactory, embedder, llm=None, *, english_only: bool = False, **settings: object
):
    """The course (with `english_only`, its English-only lesson too) written to a scratch folder and indexed with
    `embedder`: a Tutor over it (`llm` answers; `settings` go to Settings)."""
    from tutor.build import build_tutor, reindex
    from tutor.settings import Settings

    base = tmp_path_factory.mktemp("five-languages")
    config = Settings(lessons_dir=write_course(base / "lessons", english_only), index_dir=base / "index", **settings)
    tutor = build_tutor(config, embedder=embedder, llm=llm)
    reindex(tutor)
    return tutor
