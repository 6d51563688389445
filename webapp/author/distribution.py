"""The authoring pages beyond the editor, one module each, imported here so that their routes are on the
blueprint: the question editor (`question_pages`), reordering (`arranging`), preview as a respondent
(`preview`), definition upload and download (`definition_files`), distribution links (`links`) and e-mail
distribution (`mail_pages`)."""

from . import arranging, definition_files, links, mail_pages, preview, question_pages

__all__ = ["arranging", "definition_files", "links", "mail_pages", "preview", "question_pages"]
