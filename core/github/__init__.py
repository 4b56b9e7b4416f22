"""The GitHub adapter: the only package that imports PyGithub (``github``).

``source`` names the REST endpoint each call uses and translates library errors into
sentences; ``mapping`` turns API payloads into store rows; ``repo_names`` parses owner/name.
"""
