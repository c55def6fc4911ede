package org.bonemarrow.server.console.operations;

/**
 * Which page of a console list: {@code page} 0-based, {@code size} 25 unless asked, at most 100 (the console's
 * list convention), so a hand-edited URL cannot ask the database for a million rows.
 */
public record Paging(int page, int size) {

	public static final int DEFAULT_SIZE = 25;
	public static final int MAX_SIZE = 100;

	public static Paging of(Integer page, Integer size) {
		int p = page == null || page < 0 ? 0 : page;
		int s = size == null || size < 1 ? DEFAULT_SIZE : Math.min(size, MAX_SIZE);
		return new Paging(p, s);
	}

	public long offset() {
		return (long) page * size;
	}
}
