"""dedup: near-duplicate paragraphs across a stream of documents.

segment (documents -> paragraphs) -> canonical (text -> form for hashing) -> minhash
(paragraphs -> signatures) -> lsh / index.

The canonical form is ``wireclean.dedup.canonical.canonical(text)``; the function is not
re-exported here, so the name ``canonical`` keeps meaning the module.
"""

from .minhash import (DEFAULT_NUM_PERM, DEFAULT_SEED, DEFAULT_SHINGLE_SIZE, HASH_VERSION,
                      MinHasher, MinHashParams)
from .segment import DEFAULT_MIN_WORDS, Paragraph, paragraphs
from .index import Index, Match
from .stores import DuplicateKeyError, IndexFormatError

__all__ = ["DEFAULT_MIN_WORDS", "DEFAULT_NUM_PERM", "DEFAULT_SEED", "DEFAULT_SHINGLE_SIZE",
           "HASH_VERSION", "DuplicateKeyError", "Index", "IndexFormatError", "Match",
           "MinHashParams", "MinHasher", "Paragraph", "paragraphs"]
