"""The agents and the use cases that run them; imports core, never pages.

``base`` (Agent protocol, AgentContext, AgentResult), ``registry`` (every agent, one line each),
``runner`` (runs an agent, records it), ``actions`` (what the pages' buttons do) and ``cli``
(the ``ci-medic`` command). One package per agent: ``agent.py`` (store in, AgentResult out),
pure modules, and ``view.py`` (the read model its page section draws).
"""
