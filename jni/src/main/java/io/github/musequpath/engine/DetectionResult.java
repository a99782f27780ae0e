package io.github.musequpath.engine;

import java.util.List;

/**
 * The nuclei of one detection run with what it covered.
 *
 * @param detections   every nucleus once, level-0 pixels
 * @param tilesTotal   tiles of the region's grid
 * @param tilesPlanned of those, tiles with tissue (and inside the regions)
 * @param tilesDone    tiles processed
 * @param tilesFailed  tiles that could not be read: reported, skipped, counted
 * @param seconds      wall time of the run
 * @param mpp          level-0 micrometres per pixel used
 * @param failures     the first few failure messages
 */
public record DetectionResult(List<Detection> detections, long tilesTotal, long tilesPlanned, long tilesDone, long tilesFailed,
                              double seconds, double mpp, List<String> failures) {
    public DetectionResult {
        detections = List.copyOf(detections);
        failures = List.copyOf(failures);
    }
}
