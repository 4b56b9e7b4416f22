"""Presentation helpers with no Streamlit and no data access: the charts' house ``style``
and ``exports`` (CSV bytes, standalone chart HTML, file names).
"""
