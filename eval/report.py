"""Write eval results as Markdown with a precision-coverage PNG beside it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.metrics import Outcome, precision_coverage_curve


def plot_precision_coverage(path: Path, curves: Mapping[str, Sequence[Outcome]]) -> None:
    """One line per mode: answer precision against in-scope coverage as the confidence threshold falls."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    for mode, outcomes in curves.items():
        points = precision_coverage_curve(outcomes)
        ax.plot([p[1] for p in points], [p[2] for p in points], label=mode)
    ax.set_xlabel("coverage (share of in-scope questions answered)")
    ax.set_ylabel("answer precision")
    ax.set_ylim(0.5, 1.01)
    ax.axhline(0.95, color="grey", linestyle=":", linewidth=1)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_eval_report(path: Path, results: Mapping[str, Any], curves: Mapping[str, Sequence[Outcome]]) -> None:
    """``path`` gets the Markdown table and the raw JSON; ``<stem>-curve.png`` the curve."""
    path.parent.mkdir(parents=True, exist_ok=True)
    png = path.with_name(f"{path.stem}-curve.png")
    plot_precision_coverage(png, curves)
    modes = results["modes"]
    keys = list(next(iter(modes.values())).keys())
    lines = [
        f"## Pack eval ({results['split']} split: {results['in_scope']} in-scope, "
        f"{results['out_of_scope']} out-of-scope)",
        "",
        "| mode | " + " | ".join(keys) + " |",
        "|---" * (len(keys) + 1) + "|",
    ]
    lines += [f"| {mode} | " + " | ".join(f"{m[k]:.3f}" for k in keys) + " |" for mode, m in modes.items()]
    lines += ["", "Hybrid by question style:", "", "| style | n | metric |", "|---|---|---|"]
    for style, row in results["by_style"].items():
        values = ", ".join(f"{k}={v}" for k, v in row.items() if k != "n")
        lines.append(f"| {style} | {row['n']} | {values} |")
    lines += ["", f"![precision-coverage]({png.name})", "", "<details><summary>JSON</summary>", "", "```json",
              json.dumps(results, ensure_ascii=False, indent=1), "```", "</details>", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
