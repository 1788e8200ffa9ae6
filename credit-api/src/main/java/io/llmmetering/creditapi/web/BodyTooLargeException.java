package io.llmmetering.creditapi.web;

import java.io.IOException;

/** A request body longer than the API accepts; answered 413. */
final class BodyTooLargeException extends IOException {
    BodyTooLargeException(long limit) {
        super("the request body is larger than " + limit + " bytes");
    }
}
