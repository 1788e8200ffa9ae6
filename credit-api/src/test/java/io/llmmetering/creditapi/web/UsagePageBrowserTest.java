package io.llmmetering.creditapi.web;

import io.llmmetering.schemas.AvroSerde;
import io.llmmetering.schemas.DeadLetterHeaders;
import io.llmmetering.schemas.Debit;
import io.llmmetering.schemas.MessageCodec;
import io.llmmetering.schemas.UsageEvent;
import io.llmmetering.schemas.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The usage page in a real browser (Debian's headless Chromium): it signs in with a token, draws the charts
 * from the API's answers, and shows admins the top spenders, the dead letters and the unpriced models to replay. Screenshots go to target/ as test artifacts.
 * Skipped where Chromium and its driver are not installed (.ci/run installs them).
 */
@Tag("integration")
class UsagePageBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private final ApiServer api = ApiServer.get();
    private ChromeDriver browser;

    @BeforeEach
    void openABrowser() {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER), "Chromium and chromedriver are not installed");
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1100");
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build(), options);
    }

    @AfterEach
    void closeIt() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void aUserSeesTheirBalanceSpendAndChartsDrawnFromTheApi() throws Exception {
        String user = "page-" + System.nanoTime() + "@example.com";
        api.post("/api/v1/admin/credits/allocate", api.adminToken(), "{\"user_id\":\"" + user + "\",\"amount\":25}");
        api.put("/api/v1/admin/users/" + user + "/monthly-cap", api.adminToken(), "{\"monthly_cap\":10}");
        meter(user, "gpt-4o", 4_000_000_000L, "claude-3-5-sonnet", 1_500_000_000L);

        open(api.userToken(user));

        assertThat(browser.findElement(By.id("balance")).getText()).isEqualTo("19.5 credits");
        assertThat(browser.findElement(By.id("spend")).getText()).isEqualTo("5.5 credits");
        assertThat(browser.findElement(By.id("cap")).getText()).contains("10 credits monthly cap");
        assertThat(browser.findElements(By.cssSelector("#by-model svg rect.bar"))).hasSize(2);
        assertThat(browser.findElement(By.id("by-model")).getText()).contains("gpt-4o", "claude-3-5-sonnet");
        assertThat(browser.findElements(By.cssSelector("#by-day svg rect.bar"))).hasSize(30);
        assertThat(browser.findElement(By.id("admin")).isDisplayed()).isFalse();
        screenshot("usage-page-user.png");
    }

    @Test
    void anAdminSeesThePlatformsSpendTheTopSpendersAndTheDeadLetterCount() throws Exception {
        String spender = "page-top-" + System.nanoTime() + "@example.com";
        meter(spender, "gpt-4o", 90_000_000_000L, "gpt-4o", 1);

        open(api.adminToken());

        assertThat(browser.findElement(By.id("admin")).isDisplayed()).isTrue();
        assertThat(browser.findElement(By.id("top-users")).getText()).contains(spender);
        // the platform's spend, not the admin's own (empty) account
        assertThat(browser.findElement(By.id("own-cards")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("by-model-title")).getText()).startsWith("Platform spend by model");
        assertThat(browser.findElement(By.id("by-model")).getText()).contains("gpt-4o");
        assertThat(browser.findElements(By.cssSelector("#by-day svg rect.bar"))).hasSize(30);
        assertThat(browser.findElement(By.id("dlq")).getText()).matches("[0-9,]+");
        screenshot("usage-page-admin.png");
    }

    @Test
    void anAdminSeesUnknownModelsAndReplaysAPricedOnesEventsWithOneClick() throws Exception {
        String priced = "page-priced-" + System.nanoTime();
        String hostile = "<img src=x onerror=\"document.body.dataset.pwned=1\">" + System.nanoTime();
        deadLetter(priced, "page-u1@example.com");
        deadLetter(priced, "page-u2@example.com");
        deadLetter(hostile, "page-u3@example.com");
        assertThat(api.put("/api/v1/admin/pricing/models/" + priced, api.adminToken(),
                "{\"provider\":\"openai\",\"input_per_1k\":0.001,\"output_per_1k\":0.002}").statusCode()).isEqualTo(200);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/api/v1/admin/pricing/unknown-models", api.adminToken()).body()
                .matches("(?s).*\"model\":\"" + priced + "\",\"events\":2,.*\"priced_now\":true.*"));

        open(api.adminToken());

        WebElement row = unknownModelRow(priced);
        assertThat(row.getText()).contains(priced, "yes");
        assertThat(unknownModelRow(hostile).getText()).contains(hostile, "no");
        assertThat(unknownModelRow(hostile).findElement(By.tagName("button")).isEnabled()).isFalse();
        assertThat(browser.findElement(By.id("dead-letters")).getText()).contains("unknown_model");
        row.findElement(By.tagName("button")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(b -> b.findElement(By.id("replay-result")).getText().startsWith("Replayed"));
        assertThat(browser.findElement(By.id("replay-result")).getText()).isEqualTo("Replayed 2");
        new WebDriverWait(browser, Duration.ofSeconds(10)).until(b -> unknownModelRow(priced).getText().contains(priced + " 2 0"));
        assertThat(browser.findElement(By.tagName("body")).getDomAttribute("data-pwned")).isNull();
        assertThat(api.get("/api/v1/admin/dead-letters?model=" + priced, api.adminToken()).body()).contains("\"not_replayed\":0");
        screenshot("usage-page-dead-letters.png");
    }

    @Test
    void aBadTokenLeadsBackToSignInAndNothingIsShown() {
        browser.get("http://127.0.0.1:" + api.port + "/usage#token=not.a.token");
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(b -> b.findElement(By.id("sign-in")).isDisplayed());
        assertThat(browser.findElement(By.id("sign-in-error")).getText()).contains("not accepted");
        assertThat(browser.findElement(By.id("dashboard")).isDisplayed()).isFalse();
        assertThat(browser.getCurrentUrl()).doesNotContain("token=");
    }

    private void open(String token) {
        browser.get("http://127.0.0.1:" + api.port + "/usage#token=" + token);
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(b -> "true".equals(b.findElement(By.tagName("body")).getDomAttribute("data-loaded")));
        assertThat(browser.getCurrentUrl()).doesNotContain("token=");
    }

    /** Two debits applied through Kafka, and waits for the ledger. */
    private void meter(String user, String model1, long nanos1, String model2, long nanos2) throws Exception {
        Instant now = Instant.now();
        try (KafkaProducer<String, Debit> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, api.broker.bootstrapServers()),
                new StringSerializer(), AvroSerde.of(Debit.class).serializer())) {
            String[] models = {model1, model2};
            long[] amounts = {nanos1, nanos2};
            for (int i = 0; i < 2; i++) {
                producer.send(new ProducerRecord<>(Topics.CREDIT_DEBITS, user, Debit.newBuilder().setEventId(user + "-" + i).setUserId(user)
                        .setAmountNanos(amounts[i]).setModel(models[i]).setProvider("openai").setInputTokens(1000).setOutputTokens(0)
                        .setPowerLevel("balanced").setTier("free").setOccurredAt(now).setPricedAt(now).setPriceVersion("test").build())).get();
            }
        }
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> api.get("/api/v1/admin/users/" + user + "/usage", api.adminToken()).body().contains("\"requests\":2"));
    }

    private WebElement unknownModelRow(String model) {
        return browser.findElements(By.cssSelector("#unknown-models tbody tr")).stream()
                .filter(row -> row.findElements(By.tagName("td")).get(0).getText().equals(model)).findFirst()
                .orElseThrow(() -> new AssertionError(model + " is not listed"));
    }

    /** An event of {@code model} as the topology dead-letters it for having no price. */
    private void deadLetter(String model, String user) throws Exception {
        UsageEvent event = UsageEvent.newBuilder().setEventId(model + "-" + user).setUserId(user).setModel(model).setProvider("openai")
                .setInputTokens(1000).setOutputTokens(100).setOccurredAt(Instant.now()).build();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, api.broker.bootstrapServers()),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS_DLQ, null, user, MessageCodec.of(UsageEvent.class).encode(event),
                    DeadLetterHeaders.of("unknown_model", "no price for " + model, new DeadLetterHeaders.Source(Topics.USAGE_EVENTS, 0, 1),
                            "price-events", System.currentTimeMillis()))).get();
        }
    }

    private void screenshot(String name) throws Exception {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), Path.of("target", name), StandardCopyOption.REPLACE_EXISTING);
    }
}
