package dev.caption.cli.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import dev.caption.broker.LocalKafkaBroker;
import dev.caption.cli.ImageInputs;
import dev.caption.cli.ReferenceFiles;
import dev.caption.cli.SyntheticWorld;
import dev.caption.cli.streams.LocalBrokers;
import dev.caption.core.kafka.Topics;

/**
 * The page in a real browser: Debian's headless Chromium, driven by Selenium through Debian's chromedriver (nothing
 * is downloaded), against the web-service of a running synthetic pipeline. It picks the six shapes-world samples through
 * the page's file input, types their references, sends them, and waits until every caption and score is in the DOM.
 * The broker is the secured one, so the page works under the publisher's and the reader's least-privilege ACLs.
 * A missing browser fails the test with the packages to install: it is never skipped.
 */
class WebPageBrowserTest {

    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

    private static WebDriver browser() {
        if (!CHROMIUM.canExecute() || !CHROMEDRIVER.canExecute()) {
            throw new AssertionError("the browser test needs Debian's chromium and chromedriver at " + CHROMIUM + " and "
                    + CHROMEDRIVER + ": apt-get install chromium chromium-driver (.ci/run installs them)");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1250");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER).build();
        return new ChromeDriver(service, options);
    }

    private static String stem(Path image) {
        return ImageInputs.stripExtension(image.getFileName().toString());
    }

    @Test
    void imagesPickedOnThePageGetTheirCaptionsScoresAndLatenciesInThePage(@TempDir Path work) throws Exception {
        SyntheticWorld.Models models = SyntheticWorld.models();
        List<Path> images;
        try (var files = Files.list(models.samples().resolve("images"))) {
            images = files.sorted().toList();
        }
        Map<String, List<String>> refs = new java.util.HashMap<>();
        ReferenceFiles.read(models.samples().resolve("captions.txt")).forEach(r -> refs.put(r.id(), r.references()));

        // on a secured broker: the page publishes as caption-publisher and reads as caption-reader, least privilege
        try (LocalKafkaBroker broker = LocalBrokers.builder(true).dataDir(work.resolve("kafka")).build().start()) {
            LocalBrokers.prepare(broker, Topics.defaults(), true);
            try (LocalPipeline pipeline = LocalPipeline.start(Path.of(".."), work, broker, LocalPipeline.Models.synthetic(),
                    "cpu", Map.of(), line -> { })) {
                WebDriver driver = browser();
                try {
                    driver.get(pipeline.webUrl());
                    // several files through the one input, as a person picking them does
                    driver.findElement(By.id("file-input")).sendKeys(String.join("\n",
                            images.stream().map(p -> p.toAbsolutePath().toString()).toList()));
                    List<WebElement> boxes = driver.findElements(By.cssSelector("#queue textarea"));
                    assertEquals(images.size(), boxes.size(), "a references box per queued image");
                    for (int i = 0; i < images.size(); i++) {
                        boxes.get(i).sendKeys(String.join("\n", refs.get(stem(images.get(i)))));
                    }
                    driver.findElement(By.id("send")).click();

                    WebDriverWait wait = new WebDriverWait(driver, Duration.ofMinutes(5));
                    wait.until(d -> d.findElement(By.id("upload-status")).getText().equals("all " + images.size() + " done"));
                    List<WebElement> cards = driver.findElements(By.cssSelector("#results .card"));
                    assertEquals(images.size(), cards.size());
                    for (WebElement card : cards) {
                        String id = card.getAttribute("data-id");
                        assertTrue(images.stream().anyMatch(p -> id.startsWith(stem(p) + "-")), id);
                        assertEquals("", card.findElement(By.className("reason")).getText(), id + ": no dead letter");
                        assertEquals("scored", card.findElement(By.className("state")).getText(), id);
                        assertTrue(!card.findElement(By.className("caption")).getText().isBlank(), id + ": a caption in the page");
                        String score = card.findElement(By.className("score")).getText();
                        assertTrue(score.matches("P [01]\\.\\d{3}\\s+R [01]\\.\\d{3}\\s+F [01]\\.\\d{3}"), id + ": " + score);
                        String latency = card.findElement(By.className("latency")).getText();
                        assertTrue(latency.matches("encoder \\d+ ms · adapter \\d+ ms · llm \\d+ ms · eval \\d+ ms"),
                                id + ": " + latency);
                    }
                    // the runs panel lists the run once eval has counted the scores
                    wait.until(d -> d.findElements(By.cssSelector("#runs tbody td")).size() > 3
                            && d.findElements(By.cssSelector("#runs tbody td")).get(3).getText().equals(Integer.toString(images.size())));
                    byte[] png = ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
                    Files.write(Path.of("target", "web-page.png"), png);
                } finally {
                    driver.quit();
                }
            }
        }
    }
}
