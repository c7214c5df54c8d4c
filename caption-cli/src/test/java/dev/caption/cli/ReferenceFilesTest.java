package dev.caption.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.caption.core.message.References;

class ReferenceFilesTest {

    @TempDir
    Path dir;

    @Test
    void readsFlickr8kTokenFilesGroupingFiveCaptionsPerImage() throws Exception {
        Path f = Files.writeString(dir.resolve("Flickr8k.token.txt"),
                "1000268201_693b08cb56.jpg#0\tA child in a pink dress is climbing up a set of stairs .\n"
                        + "1000268201_693b08cb56.jpg#1\tA girl going into a wooden building .\n"
                        + "1001773457_577c3a7d70.jpg#0\tA black dog and a spotted dog are fighting\n");
        List<References> refs = ReferenceFiles.read(f);
        assertEquals(2, refs.size());
        assertEquals("1000268201_693b08cb56", refs.get(0).id());
        assertEquals(2, refs.get(0).references().size());
        assertEquals("A black dog and a spotted dog are fighting", refs.get(1).references().get(0));
    }

    @Test
    void readsTheCaptionsCsvVariantWithQuotedCommas() throws Exception {
        Path f = Files.writeString(dir.resolve("captions.txt"),
                "image,caption\n"
                        + "1000268201_693b08cb56.jpg,A child in a pink dress is climbing up a set of stairs .\n"
                        + "1000268201_693b08cb56.jpg,\"A girl, in pink, going into a wooden building .\"\n");
        List<References> refs = ReferenceFiles.read(f);
        assertEquals(1, refs.size());
        assertEquals("A girl, in pink, going into a wooden building .", refs.get(0).references().get(1));
    }

    @Test
    void readsJsonlWithReferenceListsOrOneCaptionPerLine() throws Exception {
        Path f = Files.writeString(dir.resolve("refs.jsonl"),
                "{\"id\": \"a\", \"references\": [\"one\", \"two\"]}\n\n{\"image\": \"b.jpg\", \"caption\": \"three\"}\n");
        List<References> refs = ReferenceFiles.read(f);
        assertEquals(List.of(new References("a", List.of("one", "two")), new References("b", List.of("three"))), refs);
    }

    @Test
    void malformedOrMissingFilesNameTheProblem() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"id\": \"a\", \"references\": [\"x\"]}\n{oops\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReferenceFiles.read(bad));
        assertTrue(e.getMessage().contains("line 2 is not valid JSON"), e.getMessage());
        Path noCaption = Files.writeString(dir.resolve("x.csv"), "image,text\na.jpg,hello\n");
        e = assertThrows(IllegalArgumentException.class, () -> ReferenceFiles.read(noCaption));
        assertTrue(e.getMessage().contains("needs 'image' (or 'id') and 'caption'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ReferenceFiles.read(dir.resolve("none.jsonl")));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }
}
