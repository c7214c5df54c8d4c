package dev.caption.cli.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dataset layouts as published: detection, captions grouped per image, and the splits. */
class DatasetsTest {

    @TempDir
    Path dir;

    @Test
    void flickr8kAsPublishedUsesItsSplitFilesAndGroupsTheFiveCaptions() throws Exception {
        Path images = Files.createDirectories(dir.resolve("Flicker8k_Dataset"));
        Path text = Files.createDirectories(dir.resolve("Flickr8k_text"));
        StringBuilder tokens = new StringBuilder();
        for (String img : List.of("1000_a", "1001_b", "1002_c", "1003_d")) {
            Files.write(images.resolve(img + ".jpg"), new byte[] {1});
            for (int k = 0; k < 5; k++) {
                tokens.append(img).append(".jpg#").append(k).append('\t').append("caption ").append(k).append(" of ").append(img).append('\n');
            }
        }
        Files.writeString(text.resolve("Flickr8k.token.txt"), tokens);
        Files.writeString(text.resolve("Flickr_8k.trainImages.txt"), "1000_a.jpg\n1001_b.jpg\n");
        Files.writeString(text.resolve("Flickr_8k.devImages.txt"), "1002_c.jpg\n");
        Files.writeString(text.resolve("Flickr_8k.testImages.txt"), "1003_d.jpg\n");

        Datasets.Dataset d = Datasets.load(dir, Optional.empty());
        assertTrue(d.layout().startsWith("Flickr8k (Flicker8k_Dataset"), d.layout());
        assertEquals(2, d.split(Datasets.Split.TRAIN).size());
        assertEquals("1002_c", d.split(Datasets.Split.VAL).get(0).id());
        Datasets.Entry test = d.split(Datasets.Split.TEST).get(0);
        assertEquals(5, test.captions().size());
        assertEquals("caption 0 of 1003_d", test.captions().get(0));
        assertEquals(images.resolve("1003_d.jpg"), test.file());
    }

    @Test
    void karpathyJsonMapsRestvalToTrainAndResolvesFilepaths() throws Exception {
        Path json = dir.resolve("dataset_coco.json");
        Files.writeString(json, """
                {"images": [
                  {"filepath": "val2014", "filename": "COCO_val2014_1.jpg", "split": "restval",
                   "sentences": [{"raw": "A man rides a horse."}, {"raw": "A rider on a horse."}]},
                  {"filepath": "val2014", "filename": "COCO_val2014_2.jpg", "split": "val", "sentences": [{"raw": "A cat."}]},
                  {"filepath": "val2014", "filename": "COCO_val2014_3.jpg", "split": "test", "sentences": [{"raw": "A dog."}]},
                  {"filepath": "train2014", "filename": "COCO_train2014_4.jpg", "split": "train", "sentences": [{"raw": "A bus."}]}
                ]}
                """);
        Datasets.Dataset d = Datasets.load(json, Optional.of(dir.resolve("coco")));
        assertEquals(2, d.split(Datasets.Split.TRAIN).size());
        assertEquals(1, d.split(Datasets.Split.VAL).size());
        assertEquals(1, d.split(Datasets.Split.TEST).size());
        Datasets.Entry first = d.entries().get(0);
        assertEquals("COCO_val2014_1", first.id());
        assertEquals(dir.resolve("coco/val2014/COCO_val2014_1.jpg"), first.file());
        assertEquals(List.of("A man rides a horse.", "A rider on a horse."), first.captions());
    }

    @Test
    void aFolderWithCaptionsJsonlGetsAStableHashSplit() throws Exception {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            Files.write(dir.resolve("img" + i + ".png"), new byte[] {1});
            jsonl.append("{\"id\": \"img").append(i).append("\", \"references\": [\"caption ").append(i).append("\"]}\n");
        }
        Files.writeString(dir.resolve("captions.jsonl"), jsonl);
        Datasets.Dataset d = Datasets.load(dir, Optional.empty());
        int val = d.split(Datasets.Split.VAL).size();
        int test = d.split(Datasets.Split.TEST).size();
        assertTrue(val > 5 && val < 40 && test > 5 && test < 40, "about 10% each: " + val + ", " + test);
        assertEquals(d.entries(), Datasets.load(dir, Optional.empty()).entries(), "the split is stable");
        assertEquals(dir.resolve("img7.png"), d.entries().get(7).file());
    }

    @Test
    void anUnknownLayoutOrMissingSplitFileIsANamedError() throws Exception {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Datasets.load(dir, Optional.empty()));
        assertTrue(unknown.getMessage().contains("is not a dataset layout this reads"), unknown.getMessage());
        Files.createDirectories(dir.resolve("Flicker8k_Dataset"));
        Files.writeString(dir.resolve("Flickr8k.token.txt"), "a.jpg#0\tA.\n");
        IllegalArgumentException split = assertThrows(IllegalArgumentException.class, () -> Datasets.load(dir, Optional.empty()));
        assertTrue(split.getMessage().contains("Flickr8k split file missing"), split.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Datasets.load(dir.resolve("nope"), Optional.empty()));
    }

    @Test
    void audioCapsAsPublishedGroupsCaptionsByClipAndFindsEachClipByTheNamesDownloadersUse() throws Exception {
        Files.writeString(dir.resolve("train.csv"), "audiocap_id,youtube_id,start_time,caption\n"
                + "91139,r1nicOVtvkQ,130,\"A woman talks nearby, then water pours\"\n"
                + "58146,UDGBjjwyaqE,20,Multiple clanging and clanking sounds\n");
        Files.writeString(dir.resolve("val.csv"), "audiocap_id,youtube_id,start_time,caption\n"
                + "97151,vfY_TJq7n_U,130,Rustling occurs then a loud burst\n"
                + "97152,vfY_TJq7n_U,130,A rustling sound and a bang\n"
                + "97153,vfY_TJq7n_U,130,Something rustles and explodes\n");
        Path audio = Files.createDirectories(dir.resolve("audio").resolve("train"));
        Files.write(dir.resolve("Yr1nicOVtvkQ.wav"), new byte[] {1});
        Files.write(audio.resolve("UDGBjjwyaqE_20.flac"), new byte[] {1});
        Files.write(dir.resolve("97152.wav"), new byte[] {1});

        Datasets.Dataset d = Datasets.load(dir, Optional.empty());
        assertEquals("AudioCaps (train.csv + val.csv)", d.layout());
        assertEquals(Datasets.AUDIO, d.modality());
        assertEquals(2, d.split(Datasets.Split.TRAIN).size());
        Datasets.Entry val = d.split(Datasets.Split.VAL).get(0);
        assertEquals("vfY_TJq7n_U", val.id());
        assertEquals(List.of("Rustling occurs then a loud burst", "A rustling sound and a bang", "Something rustles and explodes"),
                val.captions());
        assertEquals(dir.resolve("97152.wav").toAbsolutePath(), val.file());
        assertEquals(dir.resolve("Yr1nicOVtvkQ.wav").toAbsolutePath(), d.split(Datasets.Split.TRAIN).get(0).file());
        assertEquals(audio.resolve("UDGBjjwyaqE_20.flac").toAbsolutePath(), d.split(Datasets.Split.TRAIN).get(1).file());
        assertEquals(List.of("A woman talks nearby, then water pours"), d.split(Datasets.Split.TRAIN).get(0).captions());
    }

    @Test
    void anAudioCapsTsvWithoutItsColumnsIsAOneLineErrorNamingThem() throws Exception {
        Path tsv = dir.resolve("clips.tsv");
        Files.writeString(tsv, "audiocap_id\tyoutube_id\tstart_time\tcaption\n1\tabc\t0\t\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Datasets.load(tsv, Optional.empty()));
        assertEquals(tsv + " row 2 has no 'caption' (AudioCaps columns: audiocap_id, youtube_id, start_time, caption)",
                e.getMessage());
    }
}
