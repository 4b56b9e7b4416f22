"""Untrusted text inside Streamlit's markdown: :func:`plain` makes it read literally.

``st.markdown``, ``st.info``/``warning``/``error``/``success``, ``st.caption``, ``st.toast``,
``st.progress(text=)``, widget labels and metric labels all render Markdown (GitHub-flavoured,
plus KaTeX between ``$``, raw-HTML-as-text, Streamlit's ``:red[...]`` / ``:material/icon:``
directives and emoji shortcodes). A GitHub error message, a task's error or a sentence that
quotes a log is data, not markup: drawn unescaped, ``![x](http://evil/beacon.png)`` loads a
remote image, ``[text](http://x)`` is a link and ``$$\\KaTeX$$`` is typeset.

:func:`plain` backslash-escapes every character that can start markup (CommonMark lets any ASCII
punctuation be escaped, and an escaped character is always a literal one), so the reader sees
exactly the original characters. The page keeps its own formatting (``**Repository**``) and
escapes only what it interpolates: ``st.error(f"**{name}** failed: {plain(error)}")``.
"""

from __future__ import annotations

import re

__all__ = ["plain"]

# Escaped wherever they are: emphasis, code, links and images, HTML, headings, tables,
# strikethrough, KaTeX, Streamlit directives and emoji (``:``), autolinks (``:`` ``.`` ``@``),
# entities (``&``), setext underlines and the backslash itself.
_ALWAYS = frozenset("\\`*_[](){}<>#!$|~:@&.=")
# Special only at the start of a line (after indentation): list items and thematic breaks.
# Escaping them elsewhere would only clutter what a test or a copy sees (``Hello-World``).
_LINE_START = re.compile(r"^([ \t]*)([-+])", re.MULTILINE)


def plain(text: object) -> str:
    """``text`` as Markdown that renders as exactly these characters (None is empty).

    ``![x](http://e/b.png)`` -> ``\\!\\[x\\]\\(http\\://e/b\\.png\\)``; line breaks are kept
    (``\\r\\n`` and ``\\r`` become ``\\n``); a ``-`` or ``+`` opening a line is escaped.
    """
    value = "" if text is None else str(text)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    escaped = "".join(f"\\{char}" if char in _ALWAYS else char for char in value)
    escaped = _LINE_START.sub(r"\1\\\2", escaped)
    # Streamlit rewrites ":material/" in the raw source before parsing; break that substring too.
    return escaped.replace("\\:material/", "\\:material\\/")
