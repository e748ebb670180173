"""The web UI: a thin Gradio layer over `tutor` (ui/app.py wires the page, ui/render.py draws the HTML)."""
