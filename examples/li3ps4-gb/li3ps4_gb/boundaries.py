# SPDX-License-Identifier: BSD-3-Clause
"""The six boundaries of the reference study (issue 13), as (name, axis, Sigma, plane, label).
The label is the reference study's; the character column of the table is computed from the
geometry (twist: axis normal to the plane, tilt: axis in the plane, mixed: neither)."""
SIX = [
    ("S5-001-120-tilt", (0, 0, 1), 5, (1, 2, 0), "Sigma5[001]/(120) tilt"),
    ("S5-010-010-twist", (0, 1, 0), 5, (0, 1, 0), "Sigma5[010]/(010) twist"),
    ("S3-110-111-tilt", (1, 1, 0), 3, (1, 1, 1), "Sigma3[110]/(111) tilt"),
    ("S5-001-001-twist", (0, 0, 1), 5, (0, 0, 1), "Sigma5[001]/(001) twist"),
    ("S5-001-2m10-tilt", (0, 0, 1), 5, (2, -1, 0), "Sigma5[001]/(2-10) tilt"),
    ("S5-010-201-twist", (0, 1, 0), 5, (2, 0, 1), "Sigma5[010]/(201) twist"),
]
