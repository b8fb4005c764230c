"""`takelab doctor`: diagnose and repair what a crash or an outage left behind."""
