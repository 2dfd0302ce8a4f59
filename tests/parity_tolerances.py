"""Tolerances of the parity tests (tests/parity.py measures, the tests compare)."""

from __future__ import annotations

# Tolerances: the value measured with tests/parity.py (benchmarks/parity_report.py --measure, quoted
# in each comment) x 1.25, rounded up to two digits, or issue 11's bound where that is tighter;
# counts of mismatches exactly as measured; lower bounds ("_frac", "_min") rounded down, for
# fractions to 3 decimals, i.e. not one more face outside.
# The CE-CLM runs use the synthetic (random) CEN weights, which make fits more sensitive.
# Tracking: per video and model; "one_sided_redetection" frames are those where only one side
# ran the face detector (multi_face.avi, CLM: this tracker fails validation one frame earlier,
# at frame 211, on identical pixels, and re-detects; the original does so at frame 212).
TOLERANCES: dict[str, dict[str, float]] = {
    "CLNF": {
        "dist_frac_le_0.1": 1.0,  # measured 1
        "dist_max": 0.12,  # measured 0.0881747
        "dist_median": 0.0025,  # measured 0.0019697
        "success_mismatches": 0,  # measured 0
        "detection_success_mismatches": 0,  # measured 0
        "view_mismatches": 0,  # measured 0
        "confidence_max": 1e-6,  # measured 3.86047e-10 (bound from the issue; a bin is 1/60)
        "likelihood_rel_frac_le_1e-2": 0.954,  # measured 0.954955
        "likelihood_rel_p95": 0.007,  # measured 0.00553415
        "landmark_likelihood_rel_p95": 0.038,  # measured 0.029733
        "local_sigma_max": 0.06,  # measured 0.0474634
        "global_p95": 0.00045,  # measured 0.000359216
        "global_max": 0.0029,  # measured 0.00230786
        "landmarks_3d_max_mm": 0.8,  # measured 0.633381
        "pose_t_max_mm": 0.63,  # measured 0.500717
        "pose_r_max_rad": 0.0026,  # measured 0.00204097
        "eye_frac_le_0.1": 1.0,  # measured 1
        "eye_max": 0.083,  # measured 0.0656027
    },
    "CLM": {
        "dist_frac_le_0.1": 1.0,  # measured 1
        "dist_max": 0.085,  # measured 0.0675906
        "dist_median": 0.0018,  # measured 0.001373
        "success_mismatches": 0,  # measured 0
        "detection_success_mismatches": 0,  # measured 0
        "view_mismatches": 0,  # measured 0
        "confidence_max": 1e-6,  # measured 4.65118e-10 (bound from the issue; a bin is 1/60)
        "likelihood_rel_frac_le_1e-2": 1.0,  # measured 1
        "likelihood_rel_p95": 0.00015,  # measured 0.000113795
        "landmark_likelihood_rel_p95": 0.018,  # measured 0.0143976
        "local_sigma_max": 0.048,  # measured 0.0378619
        "global_p95": 0.00061,  # measured 0.000486732
        "global_max": 0.0018,  # measured 0.0013894
        "landmarks_3d_max_mm": 0.63,  # measured 0.49935
        "pose_t_max_mm": 0.46,  # measured 0.366719
        "pose_r_max_rad": 0.0025,  # measured 0.00198548
        "eye_frac_le_0.1": 1.0,  # measured 1
        "eye_max": 0.039,  # measured 0.0309648
    },
    "CE-CLM synth": {
        "dist_frac_le_0.1": 0.99,  # measured 0.990991
        "dist_max": 0.14,  # measured 0.10991
        "dist_median": 0.0031,  # measured 0.00247969
        "success_mismatches": 0,  # measured 0
        "detection_success_mismatches": 0,  # measured 0
        "view_mismatches": 0,  # measured 0
        "confidence_max": 1e-6,  # measured 1.58142e-10 (bound from the issue; a bin is 1/60)
        "likelihood_rel_frac_le_1e-2": 1.0,  # measured 1
        "likelihood_rel_p95": 0.00014,  # measured 0.000109143
        "landmark_likelihood_rel_p95": 0.019,  # measured 0.0146036
        "local_sigma_max": 0.25,  # measured 0.195818
        "global_p95": 0.0004,  # measured 0.00031857
        "global_max": 0.0027,  # measured 0.00208621
        "landmarks_3d_max_mm": 1.5,  # measured 1.29237 (the bound)
        "pose_t_max_mm": 1.0,  # measured 0.817141 (the bound)
        "pose_r_max_rad": 0.0021,  # measured 0.00166537
        "eye_frac_le_0.1": 0.972,  # measured 0.972973
        "eye_max": 0.4,  # measured 0.315283
    },
    "CE-CLM synth multi-view": {
        "dist_frac_le_0.1": 0.99,  # measured 0.990991
        "dist_max": 0.14,  # measured 0.10991
        "dist_median": 0.0031,  # measured 0.00247969
        "success_mismatches": 0,  # measured 0
        "detection_success_mismatches": 0,  # measured 0
        "view_mismatches": 0,  # measured 0
        "confidence_max": 1e-6,  # measured 1.58142e-10 (bound from the issue; a bin is 1/60)
        "likelihood_rel_frac_le_1e-2": 1.0,  # measured 1
        "likelihood_rel_p95": 0.00014,  # measured 0.000109143
        "landmark_likelihood_rel_p95": 0.019,  # measured 0.0146036
        "local_sigma_max": 0.25,  # measured 0.195818
        "global_p95": 0.0004,  # measured 0.00031857
        "global_max": 0.0027,  # measured 0.00208621
        "landmarks_3d_max_mm": 1.5,  # measured 1.29237 (the bound)
        "pose_t_max_mm": 1.0,  # measured 0.817141 (the bound)
        "pose_r_max_rad": 0.0021,  # measured 0.00166537
        "eye_frac_le_0.1": 0.972,  # measured 0.972973
        "eye_max": 0.4,  # measured 0.315283
    },
    "CE-CLM synth cutoff 100": {
        "dist_frac_le_0.1": 0.99,  # measured 0.990991
        "dist_max": 0.14,  # measured 0.10991
        "dist_median": 0.0031,  # measured 0.00247969
        "success_mismatches": 0,  # measured 0
        "detection_success_mismatches": 0,  # measured 0
        "view_mismatches": 0,  # measured 0
        "confidence_max": 1e-6,  # measured 1.58142e-10 (bound from the issue; a bin is 1/60)
        "likelihood_rel_frac_le_1e-2": 1.0,  # measured 1
        "likelihood_rel_p95": 0.00014,  # measured 0.000109143
        "landmark_likelihood_rel_p95": 0.019,  # measured 0.0146036
        "local_sigma_max": 0.25,  # measured 0.195818
        "global_p95": 0.0004,  # measured 0.00031857
        "global_max": 0.0027,  # measured 0.00208621
        "landmarks_3d_max_mm": 1.5,  # measured 1.29237 (the bound)
        "pose_t_max_mm": 1.0,  # measured 0.817141 (the bound)
        "pose_r_max_rad": 0.0021,  # measured 0.00166537
        "eye_frac_le_0.1": 0.972,  # measured 0.972973
        "eye_max": 0.4,  # measured 0.315283
    },
    "CE-CLM synth cutoff 100 multi-view": {
        "dist_frac_le_0.1": 0.99,  # measured 0.990991
        "dist_max": 0.15,  # measured 0.127759 (the bound)
        "dist_median": 0.003,  # measured 0.00239669
        "success_mismatches": 0,  # measured 0
        "detection_success_mismatches": 0,  # measured 0
        "view_mismatches": 0,  # measured 0
        "confidence_max": 1e-6,  # measured 1.58142e-10 (bound from the issue; a bin is 1/60)
        "likelihood_rel_frac_le_1e-2": 1.0,  # measured 1
        "likelihood_rel_p95": 0.00038,  # measured 0.000298881
        "landmark_likelihood_rel_p95": 0.045,  # measured 0.0358689
        "local_sigma_max": 0.19,  # measured 0.150004
        "global_p95": 0.00053,  # measured 0.000421643
        "global_max": 0.01,  # measured 0.00795317
        "landmarks_3d_max_mm": 1.5,  # measured 1.31933 (the bound)
        "pose_t_max_mm": 1.0,  # measured 0.795317
        "pose_r_max_rad": 0.0094,  # measured 0.00749433
        "eye_frac_le_0.1": 0.981,  # measured 0.981982
        "eye_max": 0.43,  # measured 0.34156
    },
    "CLNF stages": {
        "stage1_dist_max": 0.063,  # measured 0.0504
        "stage2_dist_max": 0.075,  # measured 0.0595
        "stage3_dist_max": 0.11,  # measured 0.0877
    },
    "CLM stages": {
        "stage1_dist_max": 0.015,  # measured 0.012
        "stage2_dist_max": 0.043,  # measured 0.0343
        "stage3_dist_max": 0.082,  # measured 0.0654
    },
    "MTCNN": {
        "count_mismatches": 0,  # measured 0
        "iou_min": 0.9999992,  # measured 0.99999942 (portable kernel), 0.99999952
        "score_max": 7.6e-08,  # measured 6.00929e-08
    },
    "tracking default clnf": {
        "median": 0.02,  # measured 0.0152213
        "p95": 0.033,  # measured 0.0261545
        "max": 0.045,  # measured 0.0358158
        "max_without_one_sided_redetections": 0.045,  # measured 0.0358158
        "one_sided_redetection_frames": 0,  # measured 0
        "face_count_mismatches": 0,  # measured 0
        "success_mismatches": 0,  # measured 0
        "success_mismatches_on_identical_frames": 0,  # measured 0
    },
    "tracking default clm": {
        "median": 0.017,  # measured 0.0133484
        "p95": 0.035,  # measured 0.0273376
        "max": 0.052,  # measured 0.0415746
        "max_without_one_sided_redetections": 0.052,  # measured 0.0415746
        "one_sided_redetection_frames": 0,  # measured 0
        "face_count_mismatches": 0,  # measured 0
        "success_mismatches": 0,  # measured 0
        "success_mismatches_on_identical_frames": 0,  # measured 0
    },
    "tracking changeLighting clnf": {
        "median": 0.031,  # measured 0.0246446
        "p95": 0.053,  # measured 0.0420015
        "max": 0.065,  # measured 0.0514465
        "max_without_one_sided_redetections": 0.065,  # measured 0.0514465
        "one_sided_redetection_frames": 0,  # measured 0
        "face_count_mismatches": 0,  # measured 0
        "success_mismatches": 0,  # measured 0
        "success_mismatches_on_identical_frames": 0,  # measured 0
    },
    "tracking changeLighting clm": {
        "median": 0.027,  # measured 0.0212871
        "p95": 0.044,  # measured 0.0345369
        "max": 0.061,  # measured 0.0487503
        "max_without_one_sided_redetections": 0.061,  # measured 0.0487503
        "one_sided_redetection_frames": 0,  # measured 0
        "face_count_mismatches": 0,  # measured 0
        "success_mismatches": 0,  # measured 0
        "success_mismatches_on_identical_frames": 0,  # measured 0
    },
    "tracking 2015-10-15-15-14 clnf": {
        "median": 0.023,  # measured 0.0180068
        "p95": 0.04,  # measured 0.0319046
        "max": 0.06,  # measured 0.0475489
        "max_without_one_sided_redetections": 0.06,  # measured 0.0475489
        "one_sided_redetection_frames": 0,  # measured 0
        "face_count_mismatches": 0,  # measured 0
        "success_mismatches": 0,  # measured 0
        "success_mismatches_on_identical_frames": 0,  # measured 0
    },
    "tracking 2015-10-15-15-14 clm": {
        "median": 0.023,  # measured 0.0176479
        "p95": 0.064,  # measured 0.0510615
        "max": 0.12,  # measured 0.0939706
        "max_without_one_sided_redetections": 0.12,  # measured 0.0939706
        "one_sided_redetection_frames": 0,  # measured 0
        "face_count_mismatches": 0,  # measured 0
        "success_mismatches": 0,  # measured 0
        "success_mismatches_on_identical_frames": 0,  # measured 0
    },
    "tracking multi_face clnf": {
        "median": 0.013,  # measured 0.00994003
        "p95": 0.036,  # measured 0.0286223
        "max": 0.32,  # measured 0.248813
        "max_without_one_sided_redetections": 0.32,  # measured 0.248813
        "one_sided_redetection_frames": 0,  # measured 0
        "face_count_mismatches": 0,  # measured 0
        "success_mismatches": 0,  # measured 0
        "success_mismatches_on_identical_frames": 0,  # measured 0
    },
    "tracking multi_face clm": {
        "median": 0.017,  # measured 0.0130672
        "p95": 0.11,  # measured 0.0815335
        "max": 11.0,  # measured 8.60294
        "max_without_one_sided_redetections": 1.4,  # measured 1.11466
        "one_sided_redetection_frames": 2,  # measured 2
        "face_count_mismatches": 0,  # measured 0
        "success_mismatches": 0,  # measured 0
        "success_mismatches_on_identical_frames": 0,  # measured 0
    },
    "tracking image_sequence clnf": {
        "median": 0.017,  # measured 0.0128609
        "p95": 0.025,  # measured 0.019446
        "max": 0.032,  # measured 0.024876
        "max_without_one_sided_redetections": 0.032,  # measured 0.024876
        "one_sided_redetection_frames": 0,  # measured 0
        "face_count_mismatches": 0,  # measured 0
        "success_mismatches": 0,  # measured 0
        "success_mismatches_on_identical_frames": 0,  # measured 0
    },
    "tracking image_sequence clm": {
        "median": 0.015,  # measured 0.0117722
        "p95": 0.035,  # measured 0.0273663
        "max": 0.037,  # measured 0.0294963
        "max_without_one_sided_redetections": 0.037,  # measured 0.0294963
        "one_sided_redetection_frames": 0,  # measured 0
        "face_count_mismatches": 0,  # measured 0
        "success_mismatches": 0,  # measured 0
        "success_mismatches_on_identical_frames": 0,  # measured 0
    },
}
