"""«Сообщения»: the internal mail's pages (services/messages/)."""
