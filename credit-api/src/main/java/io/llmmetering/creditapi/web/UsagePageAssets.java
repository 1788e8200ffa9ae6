package io.llmmetering.creditapi.web;

import io.swagger.v3.oas.annotations.Hidden;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The usage page's three files, read once at start and served from memory with an ETag. Spring's resource
 * handler read each file, its length and its modification time out of the jar nested in the fat jar on every
 * request: slower than any API endpoint (2,300 requests/s against 9,500 for a price quote in BENCHMARKS.md).
 */
@Hidden // a page's files, not an operation of the API document
@RestController
final class UsagePageAssets {

    private record Asset(byte[] body, MediaType type, String etag) {
    }

    private final Map<String, Asset> assets = Map.of(
            "index.html", load("index.html", MediaType.TEXT_HTML),
            "usage.css", load("usage.css", MediaType.valueOf("text/css")),
            "usage.js", load("usage.js", MediaType.valueOf("text/javascript")));

    @GetMapping("/usage/{name:index\\.html|usage\\.css|usage\\.js}")
    ResponseEntity<byte[]> asset(@PathVariable String name, @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
        Asset asset = assets.get(name);
        // revalidated on every load: a new release changes the ETag, a browser never runs yesterday's script
        boolean unchanged = asset.etag().equals(ifNoneMatch);
        ResponseEntity.BodyBuilder answer = ResponseEntity.status(unchanged ? HttpStatus.NOT_MODIFIED : HttpStatus.OK).eTag(asset.etag())
                .cacheControl(CacheControl.noCache());
        return unchanged ? answer.build() : answer.contentType(asset.type()).body(asset.body());
    }

    private static Asset load(String name, MediaType type) {
        try (InputStream in = UsagePageAssets.class.getResourceAsStream("/usage-page/" + name)) {
            if (in == null) {
                throw new IllegalStateException("usage page file missing from the build: " + name);
            }
            byte[] body = in.readAllBytes();
            String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 16);
            return new Asset(body, type.getCharset() == null && type.getType().equals("text") ? new MediaType(type, java.nio.charset.StandardCharsets.UTF_8) : type,
                    "\"" + digest + "\"");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
