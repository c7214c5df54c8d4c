package dev.caption.web;

/** The body of every 4xx and 5xx the API gives: one line saying what was wrong. */
public record ApiError(int status, String error) {
}
