package dev.caption.nn.train;

import java.util.List;

/** One image of a training or validation split: its id (the feature cache key) and its reference captions. */
public record TrainingExample(String id, List<String> captions) {

    public TrainingExample {
        if (captions == null || captions.isEmpty()) {
            throw new IllegalArgumentException("image " + id + " has no captions");
        }
        captions = List.copyOf(captions);
    }
}
