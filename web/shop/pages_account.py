"""stub"""
from flask import Blueprint

bp = Blueprint("pages_account", __name__)
