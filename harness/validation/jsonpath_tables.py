"""Write the parse tables of checkov's JSONPath parsers where PLY reads them (run by ``.venv-checkov``'s
Python; the standard library, PLY and ``bc_jsonpath_ng`` only, as ``parliament_run.py``).

checkov renders ``for_each`` and ``count`` blocks by JSONPath (``bc_jsonpath_ng``). That parser asks
PLY for its LALR tables at every expression it parses, with ``write_tables=0``: PLY looks for a table
module first (``<package>.parser_jsonpath_parsetab``) and, finding none, builds the tables again, about
30 ms each time. A scan of ``modules/`` parses 178 distinct expressions, about half of its CPU time:
measured on one machine, 11.5 CPU-seconds before and 5.8 after (``terraform/``: 10.6 and 6.0), with the
same results check by check. With the table modules in place PLY reads them instead, after checking
that their grammar signature is the parser's: a table written for another grammar (an upgraded
``bc_jsonpath_ng``) is ignored and the tables are built as before, so the results never depend on
these files.

Idempotent; each file is written to a temporary folder and moved into place, so scans that start at the
same moment read either no file or a whole one. Prints what it wrote.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile


def main() -> int:
    import ply.yacc
    from bc_jsonpath_ng import parser as base
    from bc_jsonpath_ng.ext import parser as ext

    start = "jsonpath"  # the start symbol JsonPathParser.parse uses
    # the name JsonPathParser.parse_token_stream gives PLY, which PLY prefixes with the parser class's
    # package when it reads the table module
    module = f"{os.path.splitext(os.path.basename(base.__file__))[0]}_{start}_parsetab"
    quiet = logging.getLogger("jsonpath_tables")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    for parser_module, parser_class in ((base, base.JsonPathParser), (ext, ext.ExtentedJsonPathParser)):
        target_dir = os.path.dirname(parser_module.__file__)
        target = os.path.join(target_dir, f"{module}.py")
        with tempfile.TemporaryDirectory(dir=target_dir) as tmp:
            ply.yacc.yacc(
                module=parser_class(),
                debug=False,
                tabmodule=module,
                outputdir=tmp,
                write_tables=True,
                start=start,
                errorlog=quiet,
            )
            written = os.path.join(tmp, f"{module}.py")
            if os.path.isfile(written):  # PLY writes none when it read a current one from the package
                shutil.move(written, target)
                print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
