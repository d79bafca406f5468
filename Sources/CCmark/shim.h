// cmark-gfm: CommonMark with GitHub's extensions (tables, strikethrough, autolinks), parsed to a
// syntax tree the notebook page renders as HTML and the tutorial walks for the terminal.
#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
