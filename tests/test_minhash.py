"""MinHash signatures: datasketch's values exactly, in batches, for any text."""

from __future__ import annotations

import doctest
import pickle
import random
import threading

import datasketch
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wireclean.dedup import minhash
from wireclean.dedup.minhash import EMPTY_VALUE, MinHasher, MinHashParams, jaccard

PARAS = [
    "Grain ministers from both countries met in Geneva on Tuesday to revive the export deal, "
    "a spokesman for the U.S. delegation said.",
    "The USA -led coalition said its aircraft struck three targets near Raqqa overnight, "
    "and that Russian Federation jets were flying in the same area.",
    "Strikes resumed",                  # fewer tokens than a shingle
    "Officials",                        # one token
    "",                                 # no tokens at all
    " -- “” ",                          # punctuation only: no tokens either
    "Erdoğan’s office said the talks in Zürich would continue “as long as needed”.",
    "talks talks talks talks talks talks talks talks",  # repeated shingles
]


def datasketch_reference(hasher: MinHasher, text: str) -> np.ndarray:
    m = datasketch.MinHash(num_perm=hasher.num_perm, seed=hasher.seed,
                           hashfunc=hasher.shingle_hash)
    for shingle in hasher.shingles(text):
        m.update(shingle)
    return m.hashvalues


@pytest.mark.parametrize("num_perm, seed, shingle_size", [
    (128, 1, 3), (64, 42, 5), (16, 0, 1), (256, 7, 2), (32, 2**32 - 1, 4),
])
def test_signatures_equal_datasketch_minhash_on_the_same_shingles(num_perm, seed, shingle_size):
    hasher = MinHasher(num_perm=num_perm, seed=seed, shingle_size=shingle_size)
    sig = hasher.signatures(PARAS)
    assert sig.shape == (len(PARAS), num_perm) and sig.dtype == np.uint32
    for text, row in zip(PARAS, sig):
        assert np.array_equal(row, datasketch_reference(hasher, text)), text


_words = st.sampled_from(["grain", "U.S.", "USA", "-led", "talks", "Erdoğan", "“deal”", "—",
                          "5.2%", "Russian", "Federation", "the", "\u00a0", "\n", "ﬁnal", "é"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_words, max_size=25).map(" ".join) | st.text(max_size=40), max_size=5),
       st.integers(1, 5))
def test_any_texts_match_datasketch(texts, shingle_size):
    hasher = MinHasher(num_perm=16, seed=3, shingle_size=shingle_size)
    sig = hasher.signatures(texts)
    for text, row in zip(texts, sig):
        assert np.array_equal(row, datasketch_reference(hasher, text))


def test_no_texts():
    hasher = MinHasher(num_perm=8)
    assert hasher.signatures([]).shape == (0, 8)
    assert hasher.shingle_hashes([]) == []


@pytest.mark.parametrize("seed", [0, 1, 99])
def test_permutations_are_datasketchs(seed):
    hasher = MinHasher(num_perm=128, seed=seed)
    assert np.array_equal(hasher.permutations,
                          datasketch.MinHash(num_perm=128, seed=seed).permutations)


def test_lean_minhash_round_trip():
    hasher = MinHasher()
    a, b = hasher.signatures([PARAS[0], PARAS[0].replace("Tuesday", "Wednesday")])
    lean_a, lean_b = hasher.to_lean_minhash(a), hasher.to_lean_minhash(b)
    assert isinstance(lean_a, datasketch.LeanMinHash)
    assert lean_a.seed == hasher.seed and lean_a.scheme == "affine32"
    assert np.array_equal(lean_a.hashvalues, a)
    # Same object as datasketch builds from the same shingles, compares with it...
    reference = datasketch.MinHash(num_perm=128, seed=1, hashfunc=hasher.shingle_hash)
    for shingle in hasher.shingles(PARAS[0]):
        reference.update(shingle)
    assert lean_a == datasketch.LeanMinHash(reference)
    assert lean_b.jaccard(reference) == jaccard(a, b)
    # ... and survives datasketch's own serialization.
    buf = bytearray(lean_a.bytesize())
    lean_a.serialize(buf)
    assert np.array_equal(datasketch.LeanMinHash.deserialize(buf).hashvalues, a)


def test_lean_minhash_rejects_a_row_of_the_wrong_length():
    with pytest.raises(ValueError, match="shape"):
        MinHasher(num_perm=64).to_lean_minhash(np.zeros(128, dtype=np.uint32))


def _edited_copies(n_pairs: int, rng: random.Random) -> list[tuple[str, str]]:
    words = ("officials said the grain deal would reopen ports within weeks after talks in "
             "geneva that ran late into tuesday night and ended with a joint statement from "
             "both delegations on shipping insurance and inspections").split()
    pairs = []
    for _ in range(n_pairs):
        a = [rng.choice(words) for _ in range(rng.randint(30, 90))]
        b = list(a)
        for _ in range(rng.randint(1, 12)):
            b[rng.randrange(len(b))] = rng.choice(["new", "old", "port", "ship"])
        pairs.append((" ".join(a), " ".join(b)))
    return pairs


def test_jaccard_estimates_track_exact_jaccard():
    hasher = MinHasher(num_perm=128)
    pairs = _edited_copies(300, random.Random(5))
    sig_a = hasher.signatures([a for a, _ in pairs])
    sig_b = hasher.signatures([b for _, b in pairs])
    sets_a = hasher.shingle_hashes([a for a, _ in pairs])
    sets_b = hasher.shingle_hashes([b for _, b in pairs])
    errors = []
    for sa, sb, ha, hb in zip(sig_a, sig_b, sets_a, sets_b):
        inter = len(np.intersect1d(ha, hb))
        exact = inter / (len(ha) + len(hb) - inter)
        errors.append(jaccard(sa, sb) - exact)
    errors = np.abs(errors)
    # 128 permutations: standard error <= 0.045, so 4.5 sigma bounds any single pair.
    assert errors.mean() < 0.04
    assert errors.max() < 0.2


def test_spun_copy_has_the_same_signature():
    hasher = MinHasher()
    spun = ("Iran and Russian Federation backed the USA -led plan, a USA official said on "
            "Tuesday, adding that talks would resume.")
    original = ("Iran and Russia backed the U.S.-led plan, a U.S. official said on "
                "Tuesday, adding that talks would resume.")
    a, b = hasher.signatures([spun, original])
    assert np.array_equal(a, b)


def test_texts_without_tokens_get_the_empty_signature():
    sig = MinHasher(num_perm=8).signatures(["", "  \n ", "—“”…"])
    assert (sig == EMPTY_VALUE).all()


def test_short_paragraph_is_one_shingle_of_all_its_tokens():
    hasher = MinHasher(shingle_size=5)
    assert hasher.shingles("Strikes resumed overnight") == [(b"strikes", b"resumed", b"overnight")]
    a, b, c = hasher.signatures(["Strikes resumed overnight", "strikes, resumed: overnight!",
                                 "Overnight strikes resumed"])
    assert np.array_equal(a, b)
    assert jaccard(a, c) < 0.1  # order matters inside the one shingle


def test_result_does_not_depend_on_the_batch(monkeypatch):
    hasher = MinHasher()
    texts = PARAS * 5 + [PARAS[0][:n] for n in range(0, 200, 7)]
    together = hasher.signatures(texts)
    one_by_one = np.vstack([hasher.signatures([t]) for t in texts])
    assert np.array_equal(together, one_by_one)
    # Tiny batches, hash buffers and kernel blocks: the same answer.
    monkeypatch.setattr(minhash, "_BATCH_CHARS", 50)
    monkeypatch.setattr(minhash, "_HASH_BYTES", 40)
    monkeypatch.setattr(minhash, "_BLOCK", 8)
    assert np.array_equal(hasher.signatures(texts), together)
    assert all(np.array_equal(x, y) for x, y in
               zip(hasher.shingle_hashes(texts), MinHasher().shingle_hashes(texts)))


@pytest.mark.parametrize("shingle_size", [1, 3, 5])
def test_long_text_hashed_in_slices_gives_the_same_signature(monkeypatch, shingle_size):
    rng = random.Random(shingle_size)
    vocabulary = ["grain", "port", "talks", "U.S.", "said", "Erdoğan", "“deal”", "week"]
    text = " ".join(rng.choice(vocabulary) for _ in range(3000))
    hasher = MinHasher(num_perm=64, shingle_size=shingle_size)
    whole = hasher.signatures([text])
    whole_set = hasher.shingle_hashes([text])[0]
    monkeypatch.setattr(minhash, "_SLICE_BYTES", 100)
    monkeypatch.setattr(minhash, "_HASH_BYTES", 300)
    assert np.array_equal(hasher.signatures([text, "short one", text]),
                          np.vstack([whole, hasher.signatures(["short one"]), whole]))
    assert np.array_equal(hasher.shingle_hashes([text])[0], whole_set)
    assert np.array_equal(whole[0], datasketch_reference(hasher, text))


def test_shingle_hashes_are_the_distinct_hashes_of_the_shingles():
    hasher = MinHasher(shingle_size=2)
    sets = hasher.shingle_hashes(PARAS)
    for text, hashes in zip(PARAS, sets):
        expected = sorted({hasher.shingle_hash(s) for s in hasher.shingles(text)})
        assert hashes.dtype == np.uint32
        assert hashes.tolist() == expected


def test_params_and_validation():
    hasher = MinHasher(num_perm=64, seed=3, shingle_size=4)
    assert hasher.params == MinHashParams(num_perm=64, seed=3, shingle_size=4)
    assert hasher.params._asdict() == {"num_perm": 64, "seed": 3, "shingle_size": 4}
    assert MinHasher().params == (128, 1, minhash.DEFAULT_SHINGLE_SIZE)
    numpy_ints = MinHasher(num_perm=np.int64(64), seed=np.uint32(3), shingle_size=4)
    assert numpy_ints.params == hasher.params
    for bad in ({"num_perm": 0}, {"num_perm": 2.0}, {"seed": -1}, {"seed": 2**32},
                {"shingle_size": 0}, {"shingle_size": 17}, {"shingle_size": True}):
        with pytest.raises(ValueError):
            MinHasher(**bad)
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        hasher.signatures(["fine", b"bytes"])


def test_pickles_and_serves_threads():
    hasher = pickle.loads(pickle.dumps(MinHasher(num_perm=32)))
    texts = [f"{PARAS[0]} {i}" for i in range(200)]
    expected = hasher.signatures(texts)
    results = [None] * 4

    def work(k):
        results[k] = hasher.signatures(texts)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(r, expected) for r in results)


def test_doctests():
    assert doctest.testmod(minhash).failed == 0
