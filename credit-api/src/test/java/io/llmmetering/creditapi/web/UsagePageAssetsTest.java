package io.llmmetering.creditapi.web;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The usage page's files: served without a token, revalidated by ETag, and nothing else under /usage. */
@Tag("integration")
class UsagePageAssetsTest {

    private final ApiServer api = ApiServer.get();

    @Test
    void thePagesFilesAreServedWithTheirTypeAndAnETagThatRevalidates() throws Exception {
        for (String[] file : new String[][] {{"index.html", "text/html"}, {"usage.css", "text/css"}, {"usage.js", "text/javascript"}}) {
            HttpResponse<String> first = api.get("/usage/" + file[0], null);
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.headers().firstValue("Content-Type").orElse("")).startsWith(file[1]);
            assertThat(first.headers().firstValue("Cache-Control").orElse("")).contains("no-cache");
            assertThat(first.body()).isNotBlank();
            String etag = first.headers().firstValue("ETag").orElseThrow();
            HttpResponse<String> again = api.http.send(api.request("/usage/" + file[0]).header("If-None-Match", etag).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(again.statusCode()).isEqualTo(304);
            assertThat(again.body()).isEmpty();
        }
        assertThat(api.get("/usage/index.html", null).body()).contains("usage.css", "usage.js");
        assertThat(api.get("/usage", null).statusCode()).isIn(200, 302);
        for (String path : new String[] {"/usage/other.js", "/usage/../application.yml", "/usage/usage.css.bak"}) {
            assertThat(api.get(path, null).statusCode()).as(path).isIn(400, 401, 404);
        }
    }
}
