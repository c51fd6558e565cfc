from .corpactions import BARS_SCHEMA as BARS_SCHEMA, Mode as Mode, normalise as normalise
from .importer import (
    ImportResult as ImportResult,
    PriceBasis as PriceBasis,
    import_snapshot as import_snapshot,
)
from .ingest import Snapshot as Snapshot, load_lock as load_lock, load_snapshot as load_snapshot
from .sanity import SanityMode as SanityMode, SanityReport as SanityReport, run_sanity as run_sanity
from .sessions import (
    SessionCloses as SessionCloses,
    attach_session_close as attach_session_close,
    session_closes as session_closes,
)
from .snapshot import (
    ACTIONS_FILE as ACTIONS_FILE,
    ACTIONS_SCHEMA as ACTIONS_SCHEMA,
    PRICES_FILE as PRICES_FILE,
    PRICES_SCHEMA as PRICES_SCHEMA,
)
from .synthetic import SyntheticUniverse as SyntheticUniverse, generate_universe as generate_universe
from .synthetic_snapshot import write_synthetic_snapshot as write_synthetic_snapshot
