/*
 * Frames: the names of the reasons a frame was dropped (sim/frame.h), as
 * reports print them and "expect traffic dropped ... reason NAME" spells
 * them.
 */
#include "sim/frame.h"

#include "sim/err.h"

const char *frame_drop_name(enum frame_drop d)
{
    static const char *const names[] = {
#define X(id, name) name,
        FRAME_DROPS(X)
#undef X
    };
    return (unsigned)d < SIM_ARRAY_SIZE(names) ? names[d] : "?";
}
