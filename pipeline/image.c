/* image.c - allocate and free 8-bit rasters */
#include "stemtel/image.h"

#include <stdlib.h>
#include <string.h>

st_image *st_image_new(int w, int h, int channels, uint8_t fill)
{
    if (w <= 0 || h <= 0 || (channels != 1 && channels != 3) || w > 100000 ||
        h > 100000)
        return NULL;
    st_image *img = calloc(1, sizeof *img);
    if (!img)
        return NULL;
    img->w = w;
    img->h = h;
    img->channels = channels;
    img->stride = (size_t)w * (size_t)channels;
    img->px = malloc(img->stride * (size_t)h);
    if (!img->px) {
        free(img);
        return NULL;
    }
    memset(img->px, fill, img->stride * (size_t)h);
    return img;
}

void st_image_free(st_image *img)
{
    if (!img)
        return;
    free(img->px);
    free(img);
}
