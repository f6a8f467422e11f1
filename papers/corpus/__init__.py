"""A synthetic corpus of bilingual papers, for measuring the portal at 1,000 to 100,000 papers.

- vocabulary.py: the words, names and institutions papers are made of (pure data);
- fake.py: what each day's digest holds, deterministic from (seed, day) (pure Python, no Django);
- writing.py: writing digests, papers, entries, people and index rows in bulk (papers.bulk), as
  the importer leaves them, and the `generate_corpus` command's service.

Nothing here is imported by the portal's pages; nothing is imported here at package level, so the
pure modules can be used without Django set up (benchmarks/ceiling.py builds fake papers from them).
"""
