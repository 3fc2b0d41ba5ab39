"""Importers: bring a team's history over from the status page tool they use today.

Each source format has a pure converter from its files' data to drafts (drafts.py); emit.py turns
drafts into the content format of DESIGN.md §1; writer.py writes them without clobbering anything.
"""
