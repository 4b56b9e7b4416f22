"""Presentation helpers with no Streamlit and no data access: the charts' house ``style``,
``exports`` (CSV bytes and files with formula-looking cells defused, standalone chart HTML, file
names), ``tables`` (human headers, local times), ``text`` (:func:`~core.presentation.text.plain`:
untrusted text made literal inside Markdown) and ``links`` (only ``https://`` links to the
configured GitHub).
"""
