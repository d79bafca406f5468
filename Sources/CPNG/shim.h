// libpng's simplified API (png_image): errors come back as values, the setjmp stays inside libpng.
#include <png.h>
