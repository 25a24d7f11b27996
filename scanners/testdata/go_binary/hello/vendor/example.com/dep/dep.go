package dep

func Name() string { return "dep" }
