"""Working days and timescales: the calendar of each UK nation (bank holidays, local closure days) and the
configurable timescales (`config/timescales.toml`) that due dates and clocks are measured in."""
