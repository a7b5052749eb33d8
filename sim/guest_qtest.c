/*
 * PLACEHOLDER: the qtest guest profile is written with the host model
 * (issue #2).  Until then it takes no actions; it is not a deliverable.
 */
#include "guest_int.h"

const struct guest_profile guest_profile_qtest = { .name = "qtest" };
