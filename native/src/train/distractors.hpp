// Things in H&E that are dark or round but are not nuclei, pasted into training tiles where no
// labelled nucleus is, so that the model learns to leave them alone: on other labs' slides the
// default model's false detections sat on pigment, debris and blood (issue 12). BRCA-M2C's
// patches hold few of them and label none, so the training data never says "not a nucleus" to
// a brown speck or a red blood cell.
#pragma once

#include <random>
#include <vector>

#include <ATen/core/Tensor.h>

#include "muse/annotations.hpp"

namespace muse::train {

enum class DistractorKind {
    Pigment,     ///< brown to black specks and clumps (haemosiderin, carbon, formalin pigment), 2-9 um
    BloodCells,  ///< red blood cells: eosin-red discs with paler centres, 6.5-8.5 um, alone or in groups
};

struct PastedDistractor {
    DistractorKind kind;
    double x = 0, y = 0;  ///< centre, tile pixels
    double radius = 0;    ///< tile pixels, the whole object (a group of cells: the group)
};

/// Pastes 1-4 distractors of random kinds into `rgb` ([S, S, 3] uint8, contiguous, at `mpp`
/// um/px; changed in place), each placed where its outline stays at least 8 um from every
/// labelled nucleus' point in `nuclei` (tile pixels; a point marks a nucleus' centre, and the
/// largest reach 5-7 um), so no labelled nucleus is covered. A distractor with no such place
/// within a few tries is left out (in dense tissue, most are). Returns what was pasted; an
/// InvalidArgument for a tile of another shape or type.
std::vector<PastedDistractor> paste_distractors(at::Tensor& rgb, const std::vector<LabelledPoint>& nuclei, double mpp,
                                                std::mt19937_64& rng);

}  // namespace muse::train
