from .calendar import DEFAULT_CALENDAR as DEFAULT_CALENDAR
from .corpactions import BARS_SCHEMA as BARS_SCHEMA
from .corpactions import Mode as Mode
from .corpactions import normalise as normalise
from .importer import (
    ImportResult as ImportResult,
)
from .importer import (
    PriceBasis as PriceBasis,
)
from .importer import (
    import_snapshot as import_snapshot,
)
from .ingest import Snapshot as Snapshot
from .ingest import load_lock as load_lock
from .ingest import load_snapshot as load_snapshot
from .sanity import SanityMode as SanityMode
from .sanity import SanityReport as SanityReport
from .sanity import run_sanity as run_sanity
from .sessions import (
    SessionCloses as SessionCloses,
)
from .sessions import (
    attach_session_close as attach_session_close,
)
from .sessions import (
    session_closes as session_closes,
)
from .snapshot import (
    ACTIONS_FILE as ACTIONS_FILE,
)
from .snapshot import (
    ACTIONS_SCHEMA as ACTIONS_SCHEMA,
)
from .snapshot import (
    PRICES_FILE as PRICES_FILE,
)
from .snapshot import (
    PRICES_SCHEMA as PRICES_SCHEMA,
)
from .synthetic import SyntheticUniverse as SyntheticUniverse
from .synthetic import generate_universe as generate_universe
from .synthetic_snapshot import write_synthetic_snapshot as write_synthetic_snapshot
