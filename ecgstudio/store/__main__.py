import sys

from ecgstudio.store.cli import main

sys.exit(main())
