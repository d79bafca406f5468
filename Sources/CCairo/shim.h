// cairo: 2-D drawing to image (PNG pixels), SVG and PDF surfaces; text through its FreeType and
// fontconfig font backend (the "toy" text API selects DejaVu Sans by family name).
#include <cairo.h>
#include <cairo-svg.h>
#include <cairo-pdf.h>
