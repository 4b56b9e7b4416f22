"""The offline dump format shared by the demo, the emulator, ``import`` and the evaluation
data: ``files`` reads and writes a dump folder, ``importer`` loads one into the store.
"""
