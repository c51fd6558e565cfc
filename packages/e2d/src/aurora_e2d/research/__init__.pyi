from .decisions import (
    DECISIONS_SCHEMA as DECISIONS_SCHEMA,
    PREDICTIONS_SCHEMA as PREDICTIONS_SCHEMA,
    STRATEGY as STRATEGY,
    decide as decide,
)
from .export import ExportParityError as ExportParityError, FeatureGuard as FeatureGuard, OnnxModel as OnnxModel
from .features import (
    FEATURE_COLUMNS as FEATURE_COLUMNS,
    FEATURES_SCHEMA as FEATURES_SCHEMA,
    LABEL_HORIZON as LABEL_HORIZON,
    compute_features as compute_features,
)
from .model import ModelKind as ModelKind, fit_walk_forward as fit_walk_forward, predict_walk_forward as predict_walk_forward
from .pipeline import (
    MODELS_DIR as MODELS_DIR,
    StageRunner as StageRunner,
    data_window as data_window,
    run_data_stages as run_data_stages,
    run_model_stages as run_model_stages,
)
