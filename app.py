"""CI Medic: the Streamlit entry point. Page config, navigation and the shared sidebar only.

The shell (page config, workspace, first start, sidebar) and the list of pages live in
pages/_shell.py, because a page sometimes runs without this file (see
``current_workspace`` there) and must be able to draw the same shell. The navigation is
registered before the shell prepares the workspace, so a first start (which generates the demo)
shows the app's own page list, never Streamlit's raw file list.
"""

from __future__ import annotations

import streamlit as st

from pages._shell import app_shell, page_sections

page = st.navigation(page_sections())
app_shell()
page.run()
