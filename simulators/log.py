"""Logger shared by the provider simulators."""

import logging

logger = logging.getLogger("simulators")
