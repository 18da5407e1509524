// Stand-alone `ics expand` for the benchmark: the bookiji executable's own command
// (IcsExpand.swift is a symlink to it), without the rest of the executable.
IcsExpand.main()
