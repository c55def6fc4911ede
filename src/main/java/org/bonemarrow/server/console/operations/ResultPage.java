package org.bonemarrow.server.console.operations;

import java.util.List;

/**
 * One page of a console list.
 *
 * @param total   all rows matching, or null where counting them would cost a scan of the audit trail (then
 *                {@code hasNext} says whether there is more)
 * @param hasNext a next page exists
 */
public record ResultPage<T>(List<T> items, Paging paging, Long total, boolean hasNext) {

	public boolean hasPrevious() {
		return paging.page() > 0;
	}
}
