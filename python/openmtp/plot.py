# SPDX-License-Identifier: BSD-3-Clause
"""Plots of OpenMTP's outputs as PNG (matplotlib, Agg backend; Debian's
python3-matplotlib):

  python3 -m openmtp.plot parity DATA.tsv OUT.png
      parity plots (energy per atom, force and stress components) and error
      histograms from the data file of `mtp check_errors --parity_data=DATA.tsv`
      (`mtp check_errors POT DB --parity_to=OUT.png` writes the data and runs this)
  python3 -m openmtp.plot learning TRAIN.log OUT.png
      learning curves (training/validation errors and loss against iteration
      and wall time) from `mtp train ... --log=TRAIN.log`
  python3 -m openmtp.plot grades GRADED.cfg [MORE.cfg ...] OUT.png
                          [--threshold_save=2] [--threshold_break=10]
      histograms of extrapolation grades from `mtp calculate_grade` output
  python3 -m openmtp.plot check
      exits 0 if plots can be made (matplotlib importable), else says why

Options of every plot: --title=TEXT.  Each PNG carries the numbers it shows as
its Description text chunk (openmtp.plot.png_text reads them).  Exit
status: 0 done, 1 input or output error, 2 usage, 3 matplotlib missing.
From Python: openmtp.plot_parity.plot_parity, openmtp.plot_learning.
plot_learning, openmtp.plot_grades.plot_grades (and their *_figure)."""
import argparse
import sys

from ._plotting import MatplotlibMissing, PlotError, png_text, pyplot

__all__ = ["main", "png_text", "PlotError"]


def _parser():
    p = argparse.ArgumentParser(prog="python3 -m openmtp.plot", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("parity", help="parity plots and error histograms of check_errors' data")
    s.add_argument("data")
    s.add_argument("png")
    s.add_argument("--title")
    s = sub.add_parser("learning", help="learning curves of an `mtp train` log")
    s.add_argument("log")
    s.add_argument("png")
    s.add_argument("--title")
    s = sub.add_parser("grades", help="histograms of extrapolation grades")
    s.add_argument("files", nargs="+", metavar="GRADED.cfg ... OUT.png")
    s.add_argument("--threshold_save", type=float, default=2.0)
    s.add_argument("--threshold_break", type=float, default=10.0,
                   help="0: not marked")
    s.add_argument("--input_format", default="auto")
    s.add_argument("--title")
    sub.add_parser("check", help="can plots be made here?")
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        pyplot()
        if args.command == "check":
            return 0
        if args.command == "parity":
            from .plot_parity import plot_parity
            lines = plot_parity(args.data, args.png, args.title)
            out = args.png
        elif args.command == "learning":
            from .plot_learning import plot_learning
            lines = plot_learning(args.log, args.png, args.title)
            out = args.png
        else:
            if len(args.files) < 2:
                _parser().error("grades needs GRADED.cfg [MORE.cfg ...] OUT.png")
            from .plot_grades import plot_grades
            *inputs, out = args.files
            if not out.lower().endswith(".png"):
                _parser().error("grades: the last argument is the picture to write and must end "
                                "with .png (got %s)" % out)
            lines = plot_grades(inputs, out, args.threshold_save, args.threshold_break, args.title,
                                args.input_format)
    except MatplotlibMissing as e:
        print("openmtp.plot: %s" % e, file=sys.stderr)
        return 3
    except (PlotError, OSError) as e:
        print("openmtp.plot: %s" % e, file=sys.stderr)
        return 1
    # stderr: `mtp check_errors --parity_to` runs this with its report on stdout
    print("openmtp.plot: %s written (%s)" % (out, "; ".join(" ".join(x.split()) for x in lines)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
