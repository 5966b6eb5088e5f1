"""Settings: defaults (default.toml) -> a file (MOTCUA_CONFIG) -> MOTCUA_* environment -> overrides."""
from config.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
