"""One measurement in a fresh interpreter: ``python -m benchmarks._child IMPL SCENARIO SIZE``.

``run`` uses it for S3, where resident memory must be measured in a process that has not
run anything else. Prints one JSON line: ``{"result": {...}}`` or
``{"not_applicable": "reason"}``.
"""

from __future__ import annotations

import json
import sys

from benchmarks._common import FULL, NotApplicable, configure_logging, settle
from benchmarks._impls import available_impls, cases_for, run_case


def main(argv: list[str]) -> int:
    impl_key, scenario, size_json = argv
    impl = next(i for i in available_impls() if i.key == impl_key)
    case = next(c for c in cases_for(FULL) if c.scenario == scenario)
    size = json.loads(size_json)
    configure_logging(not impl.lean)
    settle()
    try:
        result = run_case(impl, case, size)
    except NotApplicable as reason:
        print(json.dumps({"not_applicable": str(reason)}))
        return 0
    print(json.dumps({"result": result}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
