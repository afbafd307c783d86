"""Read hostile records or model files in a child process with a memory limit and a per-file alarm: a hang or
a blow-up is a failure of the reader, never of the test run. Prints one JSON line per path.

``python -m tests.hostile.child record|header|model PATH...``"""

from __future__ import annotations

import json
import resource
import signal
import sys

MEMORY_LIMIT = 3 << 30
SECONDS_PER_FILE = 20


class Hung(Exception):
    pass


def _alarm(*_):
    raise Hung()


def main(kind: str, paths: list[str]) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    signal.signal(signal.SIGALRM, _alarm)
    from training.checkpoint import load_model
    from training.data import read_header, read_record
    from training.errors import ModelFileError, RecordError

    def model(path):
        return {"classes": list(load_model(path)[1].classes)}

    def record(path):
        rec = (read_record if kind == "record" else read_header)(path)
        return {"leads": list(rec.leads), "fs": rec.fs, "n": rec.n_samples}

    reader = model if kind == "model" else record
    for path in paths:
        signal.alarm(SECONDS_PER_FILE)
        try:
            result = {"ok": True, **reader(path)}
        except (RecordError, ModelFileError) as exc:
            result = {"ok": False, "error": type(exc).__name__, "message": str(exc), "path": str(exc.path)}
        except Hung:
            result = {"ok": False, "error": "hung"}
        except BaseException as exc:  # anything else is the reader's failure; report it, don't die
            result = {"ok": False, "error": type(exc).__name__, "message": str(exc)[:300]}
        finally:
            signal.alarm(0)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
