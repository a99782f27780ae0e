#!/usr/bin/env python3
"""Is arm B better than arm A on the same images? Two `muse eval -o` reports of the same images
(e.g. two models pooled over the same cross-validation test folds); prints each arm's mean F1
(per-class counts summed over the images, as `muse eval` pools them) and a paired bootstrap
interval of the difference B - A: the images are resampled together for both arms, so the
images' own difficulty, which moves both arms alike, does not widen the interval.

    bench/paired_difference.py A.json B.json [--resamples 2000] [--seed 0]
"""
import argparse
import json
import random
import sys


def counts_by_image(path):
    """{image name: [(tp, fp, fn) per class]} and the class names, from one `muse eval -o` report."""
    try:
        with open(path) as f:
            report = json.load(f)
        images = report["per_image"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"paired_difference: {path}: not a `muse eval -o` report with per-image counts ({e})")
    classes = [c["name"] for c in images[0]["classes"]] if images else []
    counts = {}
    for image in images:
        if [c["name"] for c in image["classes"]] != classes:
            sys.exit(f"paired_difference: {path}: image {image['name']} has other classes than the first")
        counts[image["name"]] = [(c["true_positives"], c["false_positives"], c["false_negatives"])
                                 for c in image["classes"]]
    return counts, classes


def mean_f1(counts, names, classes):
    """Mean over classes of the F1 of counts summed over `names` (in %)."""
    total = 0.0
    for k in range(len(classes)):
        tp = sum(counts[n][k][0] for n in names)
        fp = sum(counts[n][k][1] for n in names)
        fn = sum(counts[n][k][2] for n in names)
        total += 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return 100.0 * total / len(classes)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", help="arm A's `muse eval -o` report")
    parser.add_argument("b", help="arm B's report, of the same images")
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    a, classes_a = counts_by_image(args.a)
    b, classes_b = counts_by_image(args.b)
    if classes_a != classes_b:
        sys.exit(f"paired_difference: the reports score other classes: {classes_a} and {classes_b}")
    if sorted(a) != sorted(b):
        only = sorted(set(a) ^ set(b))
        sys.exit(f"paired_difference: the reports score other images ({len(only)} in one only, e.g. {only[0]})")
    if not a:
        sys.exit("paired_difference: the reports score no image")
    names = sorted(a)
    fa, fb = mean_f1(a, names, classes_a), mean_f1(b, names, classes_a)
    rng = random.Random(args.seed)
    diffs = []
    for _ in range(args.resamples):
        sample = [rng.choice(names) for _ in names]
        diffs.append(mean_f1(b, sample, classes_a) - mean_f1(a, sample, classes_a))
    diffs.sort()
    low, high = diffs[int(0.025 * len(diffs))], diffs[int(0.975 * len(diffs)) - 1]
    print(f"{len(names)} images: A {fa:.2f}, B {fb:.2f}, B - A {fb - fa:+.2f} points "
          f"(95 % paired bootstrap interval {low:+.2f} to {high:+.2f}, {args.resamples} resamples)")


if __name__ == "__main__":
    main()
